// Package repotest holds tests of the repository's newcomer path: what the
// Makefile and the README promise someone who just cloned picket.
package repotest
