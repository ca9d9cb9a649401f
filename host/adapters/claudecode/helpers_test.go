package claudecode

import (
	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/adapters/adapterstest"
	"github.com/picketsec/picket/host/engine"
)

type engineVerdict = engine.Verdict

const msg = "Unsafe Command: download and execute"

func block() *engine.Verdict   { return adapterstest.Block("command", msg) }
func allow() *engine.Verdict   { return adapterstest.Allow() }
func monitor() *engine.Verdict { return adapterstest.Monitor("command", msg) }
func modify() *engine.Verdict  { return adapterstest.Modify(`{"texts":["x"]}`) }
func alert() *engine.Verdict {
	v := adapterstest.Allow()
	v.Message = msg
	v.Findings = adapterstest.Block("command", msg).Findings
	v.Findings[0].Action = config.ActionAlert
	return v
}
