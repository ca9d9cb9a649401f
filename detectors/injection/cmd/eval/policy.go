package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strings"

	"github.com/picketsec/picket/detectors/injection"
	"github.com/picketsec/picket/detectors/injection/internal/agenttraffic"
	"github.com/picketsec/picket/detectors/injection/internal/corpus"
	"github.com/picketsec/picket/detectors/injection/internal/linear"
	"github.com/picketsec/picket/detectors/injection/internal/stacking"
	"github.com/picketsec/picket/internal/policyeval"
	"github.com/picketsec/picket/sdk"
)

// userTurns and toolResults are the placements of policyeval this eval
// puts every row in.
var (
	userTurns   = []policyeval.Placement{policyeval.AnthropicUser, policyeval.ChatUser}
	toolResults = []policyeval.Placement{policyeval.AnthropicToolResult, policyeval.ChatToolResult}
)

// blockedByInjection reports whether the injection detector made the
// default policy block (another detector's block does not count as an
// injection catch or false positive here).
func blockedByInjection(o *policyeval.Outcome) bool {
	if o.Timeouts > 0 {
		timeouts++
	}
	return o.Blocked && o.Detectors()[injection.ID]
}

// timeouts counts evaluations in which a detector ran out of time (and
// failed open): reported, since such a row says nothing.
var timeouts int

// defaultPolicy runs every row through the shipped default policy end to
// end, once as a new user turn and once as a tool result (each spread over
// the Anthropic and Chat shapes), and prints recall / FPR per source and
// placement.
func defaultPolicy(w io.Writer, ev *policyeval.Evaluator, rows []*corpus.Row) error {
	ctx := context.Background()
	user, tool := policyeval.Tally{}, policyeval.Tally{}
	natural := policyeval.Tally{}
	for i, r := range rows {
		ou, err := ev.Text(ctx, policyeval.Spread(userTurns, i), r.Text)
		if err != nil {
			return err
		}
		ot, err := ev.Text(ctx, policyeval.Spread(toolResults, i), r.Text)
		if err != nil {
			return err
		}
		bu, bt := blockedByInjection(ou), blockedByInjection(ot)
		user.Add(r.SourceTag(), r.Malicious, bu)
		tool.Add(r.SourceTag(), r.Malicious, bt)
		// Where the row comes from: documents and tool output as a tool
		// result, everything else as the user's turn.
		if r.Untrusted() {
			natural.Add(r.SourceTag(), r.Malicious, bt)
		} else {
			natural.Add(r.SourceTag(), r.Malicious, bu)
		}
	}
	natural.Fprint(w, "each row where it comes from (documents and tool output as a tool result, the rest as a new user turn):")
	fmt.Fprintln(w)
	user.Fprint(w, "every row as a new user turn:")
	fmt.Fprintln(w)
	tool.Fprint(w, "every row as a tool result:")
	return nil
}

// agentRequests scores whole benign coding-agent requests through the
// default policy: n built from this repository's held-back files
// (agenttraffic.NewHeld) and up to n composed from validation-split benign
// corpus rows (agent prompts as the system prompt, rules and skills as
// context, docs and command output as tool results, user prompts as the
// request). A request counts as blocked when the policy blocks it for
// injection.
func agentRequests(w io.Writer, ev *policyeval.Evaluator, repo string, val []*corpus.Row, n int) error {
	ctx := context.Background()
	files, err := agenttraffic.ReadTree(repo, agenttraffic.Held)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no held-back files under %s (run from the repository root or set -repo)", repo)
	}
	g := agenttraffic.NewHeld(files, 20261202)
	type res struct {
		name           string
		reqs, items    int
		blocked, other int
		examples       []string
		by             map[string]int // another detector's blocking findings by detector and rule
	}
	run := func(name string, next func(i int) []sdk.Item) (res, error) {
		r := res{name: name}
		for i := 0; i < n; i++ {
			items := next(i)
			if items == nil {
				break
			}
			body, err := agenttraffic.AnthropicHook(items, i)
			if err != nil {
				return r, err
			}
			o, err := ev.Hook(ctx, body)
			if err != nil {
				return r, err
			}
			r.reqs++
			r.items += o.Items
			switch {
			case blockedByInjection(o):
				r.blocked++
				for _, f := range o.Findings {
					if f.Detector == injection.ID && len(r.examples) < 5 {
						r.examples = append(r.examples, fmt.Sprintf("request %d: %s %s", i, f.Severity, f.Message))
						break
					}
				}
			case o.Blocked:
				r.other++
				for _, f := range o.Findings {
					if f.Detector != injection.ID && f.Severity >= sdk.SeverityHigh {
						if r.by == nil {
							r.by = map[string]int{}
						}
						r.by[f.Detector+" "+f.Rule]++
					}
				}
			}
		}
		return r, nil
	}
	a, err := run("built from held-back repository files", func(int) []sdk.Item { return g.Request() })
	if err != nil {
		return err
	}
	comp := newComposer(val)
	b, err := run("composed from validation-split benign corpus rows", comp.request)
	if err != nil {
		return err
	}
	for _, r := range []res{a, b} {
		fmt.Fprintf(w, "  %-52s %5d requests (%6d items): %d blocked for injection (%.2f %%, budget 0.1 %%)",
			r.name, r.reqs, r.items, r.blocked, 100*float64(r.blocked)/float64(max(r.reqs, 1)))
		if r.other > 0 {
			fmt.Fprintf(w, "; %d blocked by another detector", r.other)
			var rules []string
			for k, v := range r.by {
				rules = append(rules, fmt.Sprintf("%s %d", k, v))
			}
			sort.Strings(rules)
			fmt.Fprintf(w, " (findings of high and above: %s)", strings.Join(rules, ", "))
		}
		fmt.Fprintln(w)
		for _, e := range r.examples {
			fmt.Fprintf(w, "      %s\n", e)
		}
	}
	return nil
}

// poisonedRequests builds n benign requests from held-back files whose
// newest tool result carries a planted instruction (the held-back half of
// agenttraffic's attack sentences and carriers) and prints how many the
// default policy blocks, per attack family.
func poisonedRequests(w io.Writer, ev *policyeval.Evaluator, repo string, n int) error {
	ctx := context.Background()
	files, err := agenttraffic.ReadTree(repo, agenttraffic.Held)
	if err != nil {
		return err
	}
	g := agenttraffic.NewHeld(files, 424242)
	t := policyeval.Tally{}
	for i := 0; i < n; i++ {
		items := g.Request()
		tool, _, text, _, family := g.PoisonedToolResult()
		id := fmt.Sprintf("poison_%d", i)
		items = append(items,
			sdk.Item{Kind: sdk.KindToolCall, Text: tool, Tool: &sdk.ToolCall{Name: tool, CallID: id}},
			sdk.Item{Kind: sdk.KindToolResult, Text: text, Tool: &sdk.ToolCall{Name: tool, CallID: id}})
		// Nothing after the poisoned result: it is the newest item.
		body, err := agenttraffic.AnthropicHook(items, i)
		if err != nil {
			return err
		}
		o, err := ev.Hook(ctx, body)
		if err != nil {
			return err
		}
		// Caught: blocked for a finding on the poisoned item itself (a
		// block for some other item of the request is not a catch).
		caught := false
		if blockedByInjection(o) {
			for _, f := range o.Findings {
				caught = caught || f.Detector == injection.ID && f.Item == o.Items-1
			}
		}
		t.Add(family, true, caught)
	}
	t.Fprint(w, "held-back agent requests whose newest tool result carries a planted instruction (recall per family; caught = blocked for a finding on that result):")
	return nil
}

// peerRequests judges whole benign requests with the npm peer: a request
// counts as blocked when the peer flags any of its prompt or tool-result
// texts (the peer sees text only). The requests are the first n of each
// kind agentRequests scores (same seeds).
func peerRequests(w io.Writer, peerDir, repo string, val []*corpus.Row, n int) error {
	files, err := agenttraffic.ReadTree(repo, agenttraffic.Held)
	if err != nil {
		return err
	}
	g := agenttraffic.NewHeld(files, 20261202)
	comp := newComposer(val)
	for _, set := range []struct {
		name string
		next func(int) []sdk.Item
	}{
		{"built from held-back repository files", func(int) []sdk.Item { return g.Request() }},
		{"composed from validation-split benign corpus rows", comp.request},
	} {
		var rows []*corpus.Row
		var owner []int
		reqs := 0
		for i := 0; i < n; i++ {
			items := set.next(i)
			if items == nil {
				break
			}
			reqs++
			for _, it := range items {
				if it.Kind == sdk.KindPrompt || it.Kind == sdk.KindToolResult {
					rows = append(rows, &corpus.Row{Text: it.Text})
					owner = append(owner, i)
				}
			}
		}
		res, err := runPeer(peerDir, rows)
		if err != nil {
			return err
		}
		blocked := map[int]bool{}
		for k, x := range res {
			if x.flagged {
				blocked[owner[k]] = true
			}
		}
		fmt.Fprintf(w, "  peer %s, %-44s %5d requests: %d blocked (%.2f %%)\n", peerName, set.name, reqs, len(blocked), 100*float64(len(blocked))/float64(max(reqs, 1)))
	}
	return nil
}

// composer builds whole requests from benign corpus rows by their role.
type composer struct {
	rng                            *rand.Rand
	system, context, docs, prompts []*corpus.Row
}

func newComposer(rows []*corpus.Row) *composer {
	c := &composer{rng: rand.New(rand.NewPCG(11, 12))}
	for _, r := range rows {
		if r.Malicious {
			continue
		}
		switch {
		case r.Tag == "agent-prompts":
			c.system = append(c.system, r)
		case r.Tag == "cursorrules" || r.Tag == "skills" || r.Tag == "instructions" || r.Tag == "agents" || r.Tag == "commands" || r.Tag == "prompt-files":
			c.context = append(c.context, r)
		case r.Untrusted():
			c.docs = append(c.docs, r)
		default:
			c.prompts = append(c.prompts, r)
		}
	}
	return c
}

func (c *composer) pick(rs []*corpus.Row) string { return rs[c.rng.IntN(len(rs))].Text }

func (c *composer) request(int) []sdk.Item {
	if len(c.system) == 0 || len(c.context) == 0 || len(c.docs) == 0 || len(c.prompts) == 0 {
		return nil
	}
	items := []sdk.Item{
		{Kind: sdk.KindSystem, Text: c.pick(c.system)},
		{Kind: sdk.KindPrompt, Text: c.pick(c.context)},
		{Kind: sdk.KindPrompt, Text: c.pick(c.prompts)},
	}
	for t := 0; t < c.rng.IntN(30); t++ {
		id := fmt.Sprintf("c%d", t)
		items = append(items,
			sdk.Item{Kind: sdk.KindToolCall, Text: "WebFetch", Tool: &sdk.ToolCall{Name: "WebFetch", CallID: id}},
			sdk.Item{Kind: sdk.KindToolResult, Text: c.pick(c.docs), Tool: &sdk.ToolCall{Name: "WebFetch", CallID: id}})
	}
	if c.rng.IntN(3) == 0 {
		items = append(items, sdk.Item{Kind: sdk.KindPrompt, Text: c.pick(c.prompts), New: true})
	}
	return items
}

// loso judges every source group with a classifier trained without it
// (stacking.Folds) and the whole detector at the default thresholds, each
// row as where it comes from: once with the combiner fitted on the other
// groups' held-out scores (what ships), once with the fixed combination of
// the previous model (no combiner), side by side. It prints recall / FPR
// per held-out source, the worst ones, and the thresholds per speaker that
// the held-out scores support.
func loso(w io.Writer, rows []*corpus.Row, extra, agent []*corpus.Row, verbose string) error {
	ctx := context.Background()
	var vw *bufio.Writer
	if verbose != "" {
		f, err := os.Create(verbose)
		if err != nil {
			return fmt.Errorf("eval: -v: %w", err)
		}
		defer f.Close()
		vw = bufio.NewWriter(f)
		defer vw.Flush()
	}
	held, err := stacking.Folds(ctx, rows, extra, agent, os.Stderr)
	if err != nil {
		return err
	}
	groups := map[string]bool{}
	for _, h := range held {
		groups[h.Group] = true
	}
	stacks := map[string]*linear.Stack{}
	for g := range groups {
		stacks[g] = stacking.Fit(held, func(h *stacking.Held) bool { return h.Group != g })
	}
	type sc struct {
		score     float64
		malicious bool
	}
	for _, variant := range []string{"combiner fitted on the other groups' held-out scores (shipped)", "fixed combination, no combiner (before)"} {
		stacked := strings.HasPrefix(variant, "combiner")
		t, tables, own := policyeval.Tally{}, policyeval.Tally{}, policyeval.Tally{}
		scores := map[bool][]sc{} // by untrusted
		dets := map[*linear.Model]*injection.Detector{}
		for i := range held {
			h := &held[i]
			d := dets[h.Model]
			if d == nil {
				m := *h.Model
				if stacked {
					m.Stack = stacks[h.Group]
				}
				d = injection.NewWithModel(&m)
				dets[h.Model] = d
			}
			r := h.Row
			k := kindOf(r)
			fs, err := d.Detect(ctx, &sdk.Event{Items: []sdk.Item{{Kind: k, Text: r.Text, Untrusted: k == sdk.KindToolResult, New: true, Origin: sdk.OriginRequest}}})
			if err != nil {
				return err
			}
			flag := false
			for _, f := range fs {
				flag = flag || f.Severity >= sdk.SeverityHigh
			}
			if vw != nil && stacked && flag != r.Malicious {
				what, why := "miss", ""
				if flag {
					what = "fp"
				}
				if len(fs) > 0 {
					why = fs[0].Message
				}
				text := r.Text
				if len(text) > 600 {
					text = text[:600]
				}
				fmt.Fprintf(vw, "%s\t%s\t%s\t%s\t%s\t%q\n", what, h.Group, r.SourceTag(), k, why, text)
			}
			if !corpus.Trainable(r) {
				tables.Add(r.SourceTag(), r.Malicious, flag)
				continue
			}
			if h.Group == stacking.ExtraGroup || h.Group == stacking.AgentGroup {
				own.Add(h.Group, r.Malicious, flag)
				continue
			}
			t.Add(r.SourceTag(), r.Malicious, flag)
			s, err := d.Score(ctx, k, r.Text)
			if err != nil {
				return err
			}
			scores[r.Untrusted()] = append(scores[r.Untrusted()], sc{s.Combined, r.Malicious})
		}
		t.Fprint(w, "leave one source group out, "+variant+" (a classifier trained without the group, the detector at the default thresholds):")
		tables.Fprint(w, "  evaluation-only rows judged by the BIPIA fold (never trained on):")
		own.Fprint(w, "  the project's own rows, each set judged by a classifier trained without it:")
		for _, untrusted := range []bool{false, true} {
			name := "user prompt"
			if untrusted {
				name = "tool result"
			}
			var neg, pos []float64
			for _, x := range scores[untrusted] {
				if x.malicious {
					pos = append(pos, x.score)
				} else {
					neg = append(neg, x.score)
				}
			}
			var parts []string
			for _, target := range []float64{0.02, 0.01, 0.005, 0.002} {
				r, thr := recallAtFPR(pos, neg, target)
				parts = append(parts, fmt.Sprintf("FPR %.1f %% → threshold %.3f, recall %.1f %%", 100*target, thr, 100*r))
			}
			fmt.Fprintf(w, "  held-out %s rows (%d malicious, %d benign): %s\n", name, len(pos), len(neg), strings.Join(parts, "; "))
		}
		fmt.Fprintln(w)
	}
	return nil
}
