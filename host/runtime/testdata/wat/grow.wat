;; A module whose picket_detect grows its memory to the cap, touches every
;; page, then spins until its deadline. Test fixture of host/runtime and
;; host/engine; built by the tests with wat2wasm.
(module
  (memory (export "memory") 1)
  ;; InfoResponse for detector "watfault".
  (data (i32.const 16) "\0ad\0a\08watfault\12\051.0.0\18\01\22%misbehaves on purpose (runtime tests)*\06prompt*\09tool_call*\0btool_result*\08response")
  (func (export "picket_abi_version") (result i32) (i32.const 1))
  (func (export "picket_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "picket_info") (result i64) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 102)))
  (func (export "picket_configure") (param i32 i32) (result i64) (i64.const 0))
  (func (export "picket_detect") (param i32 i32) (result i64)
    (local $p i32)
    ;; grow 16 pages (1 MiB) at a time until the cap refuses
    (block $full
      (loop $grow
        (br_if $full (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        br $grow))
    ;; touch every page
    (local.set $p (i32.const 65536))
    (block $done
      (loop $touch
        (br_if $done (i32.ge_u (local.get $p) (i32.mul (memory.size) (i32.const 65536))))
        (i32.store (local.get $p) (local.get $p))
        (local.set $p (i32.add (local.get $p) (i32.const 65536)))
        br $touch))
    (loop $l (br $l))
    (i64.const 0))
)
