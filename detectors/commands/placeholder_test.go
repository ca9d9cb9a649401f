package commands

import "testing"

func TestPlaceholders(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ in, want string }{
		"angle word":          {"ssh ec2-user@<public-ip>", "ssh ec2-user@_public-ip_"},
		"angle with space":    {"scp app.tgz <Build Host's IP>:/srv", "scp app.tgz _Build_Host_s_IP_:/srv"},
		"inside an arn":       {"arn:aws:iam::<account_id>:role/r", "arn:aws:iam::_account_id_:role/r"},
		"redirections kept":   {"sort <in.txt >out.txt", "sort <in.txt >out.txt"},
		"redirect then word":  {"tr -d x <file>newfile", "tr -d x <file>newfile"},
		"spaced redirections": {"cat <a >b", "cat <a >b"},
		"quoted html":         {`echo "<b>x</b>" > a.html`, `echo "<b>x</b>" > a.html`},
		"here-document":       {"cat <<EOF\nx\nEOF", "cat <<EOF\nx\nEOF"},
		"plan argument":       {"chmod u+s #{file_path}", "chmod u+s _{file_path}"},
		"comment kept":        {"ls # {not one}", "ls # {not one}"},
		"mid-word hash":       {"cat /home/#{user}/.ssh/id_rsa", "cat /home/#{user}/.ssh/id_rsa"},
	} {
		if got := placeholders(tc.in); got != tc.want {
			t.Errorf("%s: placeholders(%q) = %q, want %q", name, tc.in, got, tc.want)
		}
		if len(placeholders(tc.in)) != len(tc.in) {
			t.Errorf("%s: length changed", name)
		}
	}
}
