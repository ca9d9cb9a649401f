package secrets

// Signals that tell a machine-made value (a random token) from a
// human-made one (words, identifiers). They stand in for Betterleaks' BPE
// token-efficiency check, which needs a tokenizer vocabulary that no Go
// module served here embeds: text that a BPE vocabulary tokenizes
// efficiently is text made of frequent letter sequences, which is what
// the bigram share below measures directly.

// commonBigrams are the most frequent letter pairs of English text and of
// identifiers in code (lower case).
var commonBigrams = func() [26 * 26]bool {
	var t [26 * 26]bool
	for _, b := range []string{
		"th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed", "is", "it", "al", "ar",
		"st", "to", "nt", "ng", "se", "ha", "as", "ou", "io", "le", "ve", "co", "me", "de", "hi", "ri", "ro", "ic", "ne", "ea",
		"ra", "ce", "li", "ch", "ll", "be", "ma", "si", "om", "ur", "ca", "el", "ta", "la", "ns", "di", "fo", "ho", "pe", "ec",
		"pr", "no", "ct", "us", "ac", "ot", "il", "tr", "ly", "nc", "et", "ut", "ss", "so", "rs", "un", "lo", "wa", "ge", "ie",
		"wh", "ee", "wi", "em", "ad", "ol", "rt", "po", "we", "na", "ul", "ni", "ts", "mo", "ow", "pa", "im", "mi", "ai", "sh",
		"ir", "su", "id", "os", "iv", "ia", "am", "fi", "ci", "vi", "pl", "ig", "tu", "ev", "ld", "ry", "mp", "fe", "bl", "ab",
		"gh", "ty", "op", "wo", "sa", "ay", "ex", "ke", "fr", "oo", "av", "ag", "if", "ap", "gr", "od", "bo", "sp", "rd", "do",
		"uc", "bu", "ei", "ov", "by", "rm", "ep", "tt", "oc", "fa", "ef", "cu", "rn", "sc", "gi", "da", "yo", "cr", "cl", "du",
		"ga", "qu", "ue", "ff", "ba", "ey", "ls", "va", "um", "pp", "ua", "up", "lu", "go", "ht", "ru", "ug", "ds", "lt", "pi",
		"rc", "rr", "eg", "au", "ck", "ew", "mu", "br", "bi", "pt", "ak", "pu", "ui", "rg", "ib", "tl", "ny", "ki", "rk", "ys",
		"ob", "mm", "fu", "ph", "og", "ms", "ye", "ud", "mb", "ip", "ub", "oi", "rl", "gu", "dr", "hr", "cc", "tw", "ft", "wn",
		"nu", "af", "hu", "nn", "eo", "vo", "rv", "nf", "xp", "gn", "sm", "fl", "iz", "ok", "nl", "my", "gl", "aw", "ju", "oa",
		"eq", "sy", "sl", "ps", "jo", "rf", "na", "tc", "xt", "ks", "lp", "lc", "lf", "dd", "ze", "cy", "ik", "ct", "ox", "ax",
	} {
		t[int(b[0]-'a')*26+int(b[1]-'a')] = true
	}
	return t
}()

// bigramShare returns the share of adjacent letter pairs inside letter
// runs (case folded, a case change from lower to upper counts as a word
// break) that are common English bigrams, and how many pairs were seen.
func bigramShare(v string) (float64, int) {
	var common, total int
	prev := -1
	prevLower := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		lower := c >= 'a' && c <= 'z'
		upper := c >= 'A' && c <= 'Z'
		if !lower && !upper {
			prev = -1
			continue
		}
		l := int(c | 0x20 - 'a')
		if prev >= 0 && !(prevLower && upper) {
			total++
			if commonBigrams[prev*26+l] {
				common++
			}
		}
		prev, prevLower = l, lower
	}
	if total == 0 {
		return 0, 0
	}
	return float64(common) / float64(total), total
}

// failsTokenEfficiency reports whether v reads as human-made (words,
// identifiers) rather than random: mostly letters whose pairs are common
// English bigrams. Betterleaks' generic rule drops such values; picket
// evaluates the same question with the bigram share (see above).
func failsTokenEfficiency(v string) bool {
	share, n := bigramShare(v)
	if n < 6 {
		return false
	}
	letters := 0
	for i := 0; i < len(v); i++ {
		if c := v[i] | 0x20; c >= 'a' && c <= 'z' {
			letters++
		}
	}
	return share >= humanBigramShare && float64(letters) >= 0.6*float64(len(v))
}

// humanBigramShare is the bigram share from which a letter string reads as
// words: random letters score about 0.35 (256 of 676 pairs are common),
// English words about 0.8.
const humanBigramShare = 0.72
