package commands

import (
	"context"
	"testing"

	"github.com/picketsec/picket/sdk"
)

// benignAgentCommands are everyday commands of coding agents; none may
// reach the default block threshold.
var benignAgentCommands = []string{
	`go test ./...`,
	`go build -o bin/app ./cmd/app && ./bin/app --version`,
	`git commit -am "fix: handle empty input" && git push origin feature/empty-input`,
	`git reset --soft HEAD~1`,
	`git stash && git pull --rebase && git stash pop`,
	`npm install && npm run build`,
	`rm -rf node_modules package-lock.json && npm install`,
	`pip install -r requirements.txt`,
	`python -m venv .venv && source .venv/bin/activate && pip install -e .`,
	`python3 -m pytest -x -q tests/test_api.py`,
	`python -m http.server 8000`,
	`docker compose up -d --build`,
	`docker run --rm -v "$PWD":/app -w /app node:20 npm test`,
	`kubectl get pods -n staging -o wide`,
	`kubectl logs deploy/api -n staging --tail=100`,
	`make build && make test`,
	`cargo build --release`,
	`curl -s https://api.github.com/repos/acme/api/releases/latest | jq -r .tag_name`,
	`curl -fsSL -o go.tgz https://go.dev/dl/go1.22.5.linux-amd64.tar.gz && sudo tar -C /usr/local -xzf go.tgz`,
	`wget -q https://example.org/data.csv -O data/data.csv`,
	`ssh -i ~/.ssh/deploy_key deploy@app.example.com 'sudo systemctl restart api'`,
	`scp build/app.tgz deploy@app.example.com:/tmp/`,
	`rsync -avz --delete dist/ deploy@app.example.com:/var/www/site/`,
	`sudo systemctl enable --now nginx`,
	`php -S localhost:8000 -t public`,
	`nc -l 9000 > upload.bin`,
	`kubectl proxy --port=8001`,
	`sudo dpkg -l | grep libssl`,
	`touch -d '1 hour ago' .stamp && make`,
	`tmux new-session -d -s dev 'npm run dev'`,
	`cat > nginx.conf <<EOF
events {}
http { server { listen 8080; root /srv/site; } }
EOF
nginx -t -c "$PWD/nginx.conf"`,
	`python3 -c 'import json,sys; d=json.load(open("package.json")); print(d["version"])'`,
	`curl -s -X POST -H 'Content-Type: application/json' -d '{"name":"x"}' http://localhost:3000/api/items`,
	`echo "0 3 * * *" > /dev/null; date -u +%Y-%m-%dT%H:%M:%SZ`,
	`sudo chown -R "$(id -u):$(id -g)" ./data`,
	`chmod +x scripts/release.sh && ./scripts/release.sh v1.2.3`,
	`sed -i 's/localhost:5432/db:5432/' config/dev.yaml`,
	`find . -name "*.log" -mtime +7 -delete`,
	`find . -type d -name __pycache__ -exec rm -rf {} +`,
	`ps aux | grep -v grep | grep node`,
	`kill -9 41234`,
	`lsof -i :8080`,
	`export PATH="$PATH:$HOME/go/bin"`,
	`echo 'export PATH="$PATH:$HOME/.local/bin"' >> ~/.bashrc`,
	`sudo apt-get update && sudo apt-get install -y build-essential libssl-dev`,
	`brew install jq ripgrep`,
	`go install golang.org/x/tools/cmd/goimports@latest`,
	`tar -czf backup-$(date +%F).tgz src/ docs/`,
	`base64 -d fixtures/cert.b64 > /tmp/cert.pem && openssl x509 -in /tmp/cert.pem -noout -subject`,
	`openssl req -new -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"`,
	`cat > scripts/run.py <<'EOF'
import subprocess, sys
subprocess.run(["pytest", "-q"], check=True)
EOF`,
	`cat <<EOF > Dockerfile
FROM alpine:3.20
CMD ["/bin/sh"]
EOF`,
	`psql "$DATABASE_URL" -c 'SELECT count(*) FROM orders'`,
	`sqlite3 app.db ".tables"`,
	`redis-cli -h localhost PING`,
	`git log --oneline -5 && git diff --stat HEAD~1`,
	`git clean -n`,
	`git push --force-with-lease origin feature-x`,
	`crontab -l`,
	`systemctl status nginx --no-pager`,
	`journalctl -u api --since "1 hour ago" --no-pager`,
	`env | grep -i proxy`,
	`printenv HOME`,
	`which python3 && python3 --version`,
	`du -sh * | sort -h | tail`,
	`df -h /`,
	`ls -la ~/.ssh`,
	`cat ~/.ssh/id_ed25519.pub`,
	`ssh-keygen -t ed25519 -C "ci@example.com" -f ~/.ssh/ci_key -N ""`,
	`gh pr create --fill`,
	`terraform plan -out tf.plan`,
	`aws s3 cp dist/ s3://acme-site/ --recursive`,
	`node -e 'console.log(process.versions.node)'`,
	`bash scripts/setup.sh --dev`,
	`shellcheck scripts/*.sh`,
	`PAGER=cat git log -1`,
	`GIT_SSH_COMMAND="ssh -i ~/.ssh/deploy_key" git fetch origin`,
	`timeout 30 npm test`,
	`nohup npm run dev > dev.log 2>&1 &`,
	`xargs -n1 echo < files.txt`,
	`echo "SELECT 1" | psql -h localhost -U app app`,
	`powershell -NoProfile -Command "Get-ChildItem -Recurse -Filter *.cs | Measure-Object"`,
	`cmd /c dir /s /b *.csproj`,
	`pwsh -c "Invoke-WebRequest https://example.org/file.zip -OutFile file.zip; Expand-Archive file.zip -DestinationPath out"`,
	// Cloud, cluster and platform work near this round's rows.
	`aws s3 cp s3://my-app-config/prod.env .`,
	`aws sts assume-role --role-arn arn:aws:iam::111122223333:role/deploy --role-session-name ci`,
	`aws iam create-role --role-name lambda-exec --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'`,
	`aws ec2 authorize-security-group-ingress --group-id sg-1 --protocol tcp --port 443 --cidr 0.0.0.0/0`,
	`kubectl exec -it api-0 -- python manage.py migrate`,
	`gcloud run deploy api --image gcr.io/p/api --service-account api@p.iam.gserviceaccount.com`,
	`touch -d "2 hours ago" stamp`,
	`find . -name "*.pem" -path "./certs/*"`,
	`Get-ChildItem -Recurse -Include *.pfx .\certs`,
	`xattr -dr com.apple.quarantine /Applications/MyApp.app`,
	`tcpdump -i lo port 8080`,
	`openssl enc -d -aes-256-cbc -in secrets.enc -out secrets.json -pass env:KEY`,
	`base64 -d logo.b64 > logo.png && open logo.png`,
	`winword.exe C:\Users\bob\Documents\plan.docx`,
	`export HISTSIZE=5000`,
}

func TestBenignAgentCommands(t *testing.T) {
	t.Parallel()
	for _, cmd := range benignAgentCommands {
		for _, m := range judge(context.Background(), cmd, defaultConfig) {
			if m.sev >= sdk.SeverityHigh {
				t.Errorf("%q: %s (%s, %s)", cmd, m.rule.ID, m.sev, m.msg)
			}
		}
	}
}

// Install idioms that must stay below the block threshold.
var benignInstallIdioms = []string{
	`curl -fsSL https://download.docker.com/linux/ubuntu/gpg | sudo gpg --dearmor -o /etc/apt/keyrings/docker.gpg`,
	`echo "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.gpg] https://download.docker.com/linux/ubuntu jammy stable" | sudo tee /etc/apt/sources.list.d/docker.list > /dev/null`,
	`sudo usermod -aG docker $USER`,
	`sudo systemctl enable --now docker`,
	`git push origin HEAD --force-with-lease`,
}

func TestBenignInstallIdioms(t *testing.T) {
	t.Parallel()
	for _, cmd := range benignInstallIdioms {
		for _, m := range judge(context.Background(), cmd, defaultConfig) {
			if m.sev >= sdk.SeverityHigh {
				t.Errorf("%q: %s (%s, %s)", cmd, m.rule.ID, m.sev, m.msg)
			}
		}
	}
}

// Commands that mention dangerous commands without running them.
var benignMentions = []string{
	`git commit -m "docs: explain why vssadmin delete shadows is flagged"`,
	`grep -rn "Set-MpPreference -DisableRealtimeMonitoring" rules/`,
	`rg "iex \(iwr" docs/`,
	`echo "curl http://x | sh is dangerous" >> NOTES.md`,
	`python3 -c "import socket, subprocess; print(socket.gethostname()); subprocess.run(['ls'])"`,
	`git log --grep="rm -rf /"`,
}

func TestBenignMentions(t *testing.T) {
	t.Parallel()
	for _, cmd := range benignMentions {
		for _, m := range judge(context.Background(), cmd, defaultConfig) {
			if m.sev >= sdk.SeverityHigh {
				t.Errorf("%q: %s (%s, %s)", cmd, m.rule.ID, m.sev, m.msg)
			}
		}
	}
}

// Shells opened inside containers, remote hosts and terminal multiplexers.
var benignRemoteShells = []string{
	`docker-compose exec app /bin/sh -c "python manage.py migrate"`,
	`docker-compose exec app /bin/bash`,
	`tmux new-session -d -s dev /bin/bash`,
	`gcloud compute ssh vm-1 --command /bin/bash`,
}

func TestBenignRemoteShells(t *testing.T) {
	t.Parallel()
	for _, cmd := range benignRemoteShells {
		for _, m := range judge(context.Background(), cmd, defaultConfig) {
			if m.sev >= sdk.SeverityHigh {
				t.Errorf("%q: %s (%s, %s)", cmd, m.rule.ID, m.sev, m.msg)
			}
		}
	}
}

// Downloads piped into programs that do not run them.
var benignPipes = []string{
	`curl -s https://example.org/a.txt | perl -pe 's/foo/bar/'`,
	`curl -s https://example.org/a.json | python3 -m json.tool`,
	`curl -s https://example.org/a.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["v"])'`,
	`curl -s https://example.org/a.txt | ruby -ne 'puts $_.upcase'`,
	`curl -sL https://example.org/a.tgz | tar xz -C vendor/`,
	`wget -qO- https://example.org/SHA256SUMS | sha256sum -c -`,
	`curl -s https://example.org/x | node -p 'require("fs").readFileSync(0, "utf8").length'`,
}

func TestBenignPipes(t *testing.T) {
	t.Parallel()
	for _, cmd := range benignPipes {
		for _, m := range judge(context.Background(), cmd, defaultConfig) {
			if m.sev >= sdk.SeverityHigh {
				t.Errorf("%q: %s (%s, %s)", cmd, m.rule.ID, m.sev, m.msg)
			}
		}
	}
}
