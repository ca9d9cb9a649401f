;; A module that speaks ABI version 2. Test fixture of host/runtime; built by the tests with wat2wasm.
(module
  (memory (export "memory") 1)
  ;; InfoResponse for detector "watfault".
  (data (i32.const 16) "\0ad\0a\08watfault\12\051.0.0\18\01\22%misbehaves on purpose (runtime tests)*\06prompt*\09tool_call*\0btool_result*\08response")
  (func (export "picket_abi_version") (result i32) (i32.const 2))
  (func (export "picket_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "picket_info") (result i64) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 102)))
  (func (export "picket_configure") (param i32 i32) (result i64) (i64.const 0))
  (func (export "picket_detect") (param i32 i32) (result i64) (i64.const 0))
)
