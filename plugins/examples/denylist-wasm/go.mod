module github.com/picketsec/picket/plugins/examples/denylist-wasm

go 1.26.0

require github.com/picketsec/picket/sdk v0.0.0

require google.golang.org/protobuf v1.36.12 // indirect

replace github.com/picketsec/picket/sdk => ../../../sdk
