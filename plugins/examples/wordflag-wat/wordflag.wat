;; wordflag: a picket detector written by hand in WebAssembly text, with no
;; SDK, to show that any language that compiles to WebAssembly can implement
;; the ABI (sdk/README.md, "The WASM ABI"). It flags every occurrence of the
;; word "forbidden" in the text of prompt, tool_call, tool_result and
;; response items.
;;
;; Build: wat2wasm -o wordflag.wasm wordflag.wat   (Debian: apt-get install -y wabt)
;;
;; Memory layout (64 KiB pages):
;;   16 .. 1023      constant protobuf fragments (data segments below)
;;   1024 .. 65535   the response buffer (findings), reused by every call
;;   65536 ..        the request buffer handed out by picket_alloc
;;
;; Messages are protobuf bytes (sdk/proto/detector/v1/detector.proto). The
;; module decodes only what it needs (the items' index and text) and skips
;; every other field, as protobuf readers must.
(module
  ;; picket.log(level, ptr, len): one line in the host's log.
  (import "picket" "log" (func $log (param i32 i32 i32)))

  (memory (export "memory") 2)

  ;; InfoResponse{info: {id: "wordflag", version: "1.0.0", api_version: 1,
  ;; description: ..., kinds: [prompt, tool_call, tool_result, response]}}
  (data (i32.const 16) "\0a\7f\0a\08wordflag\12\051.0.0\18\01\22@flags the word forbidden (hand-written WebAssembly text, no SDK)*\06prompt*\09tool_call*\0btool_result*\08response")
  ;; The fixed head of every Finding: detector "wordflag" (1), rule "word"
  ;; (2), category "policy" (3), severity 3 = medium (5), confidence 1.0 (6).
  (data (i32.const 152) "\0a\08wordflag\12\04word\1a\06policy(\031\00\00\00\00\00\00\f0?")
  ;; Finding.message (10): "forbidden word found".
  (data (i32.const 192) "R\14forbidden word found")
  ;; ConfigureResponse{error: {message: ...}}.
  (data (i32.const 216) "\0a$\0a\22wordflag takes no config (want {})")
  ;; DetectResponse{error (2): {message: ...}}.
  (data (i32.const 256) "\12\1d\0a\1bwordflag: malformed request")
  (data (i32.const 288) "wordflag configured")
  (data (i32.const 312) "forbidden")

  (global $pos (mut i32) (i32.const 0)) ;; read position in the request
  (global $out (mut i32) (i32.const 0)) ;; write position in the response
  (global $bad (mut i32) (i32.const 0)) ;; set when the request is malformed

  (func (export "picket_abi_version") (result i32) (i32.const 1))

  ;; picket_alloc(size): the request buffer at 65536, grown to hold size bytes.
  (func (export "picket_alloc") (param $size i32) (result i32)
    (local $pages i32)
    (local.set $pages
      (i32.shr_u (i32.add (i32.add (local.get $size) (i32.const 65536)) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 65536))

  ;; $pack(ptr, len) = ptr << 32 | len
  (func $pack (param $ptr i32) (param $len i32) (result i64)
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len))))

  (func (export "picket_info") (result i64)
    (call $pack (i32.const 16) (i32.const 129)))

  ;; picket_configure accepts only the empty config: no request at all, or
  ;; ConfigureRequest{config: "{}"} = 0a 02 7b 7d. Anything else is refused
  ;; with an error message, the ABI's way of signalling a detector error.
  (func (export "picket_configure") (param $ptr i32) (param $len i32) (result i64)
    (if (i32.eqz (local.get $len)) (then (return (i64.const 0))))
    (if (i32.and
          (i32.eq (local.get $len) (i32.const 4))
          (i32.eq (i32.load (local.get $ptr)) (i32.const 0x7d7b020a)))
      (then
        (call $log (i32.const 2) (i32.const 288) (i32.const 19))
        (return (i64.const 0))))
    (call $pack (i32.const 216) (i32.const 38)))

  ;; $varint reads a base-128 varint at $pos, below $lim, and returns its low
  ;; 32 bits. An overrun or more than 10 bytes sets $bad.
  (func $varint (param $lim i32) (result i32)
    (local $v i32) (local $shift i32) (local $b i32)
    (block $done
      (loop $next
        (if (i32.ge_u (global.get $pos) (local.get $lim))
          (then (global.set $bad (i32.const 1)) (br $done)))
        (local.set $b (i32.load8_u (global.get $pos)))
        (global.set $pos (i32.add (global.get $pos) (i32.const 1)))
        (if (i32.lt_u (local.get $shift) (i32.const 32))
          (then
            (local.set $v (i32.or (local.get $v)
              (i32.shl (i32.and (local.get $b) (i32.const 0x7f)) (local.get $shift))))))
        (br_if $done (i32.eqz (i32.and (local.get $b) (i32.const 0x80))))
        (local.set $shift (i32.add (local.get $shift) (i32.const 7)))
        (if (i32.ge_u (local.get $shift) (i32.const 70))
          (then (global.set $bad (i32.const 1)) (br $done)))
        (br $next)))
    (local.get $v))

  ;; $sub reads the length of a length-delimited value at $pos and returns
  ;; where the value ends; a value past $lim sets $bad.
  (func $sub (param $lim i32) (result i32)
    (local $end i32)
    (local.set $end (call $varint (local.get $lim)))
    (local.set $end (i32.add (global.get $pos) (local.get $end)))
    (if (i32.or (i32.gt_u (local.get $end) (local.get $lim))
                (i32.lt_u (local.get $end) (global.get $pos)))
      (then (global.set $bad (i32.const 1)) (return (global.get $pos))))
    (local.get $end))

  ;; $skip skips the value of a field with wire type $wt.
  (func $skip (param $wt i32) (param $lim i32)
    (if (i32.eqz (local.get $wt))
      (then (drop (call $varint (local.get $lim))) (return)))
    (if (i32.eq (local.get $wt) (i32.const 1))
      (then (global.set $pos (i32.add (global.get $pos) (i32.const 8))) (return)))
    (if (i32.eq (local.get $wt) (i32.const 2))
      (then (global.set $pos (call $sub (local.get $lim))) (return)))
    (if (i32.eq (local.get $wt) (i32.const 5))
      (then (global.set $pos (i32.add (global.get $pos) (i32.const 4))) (return)))
    (global.set $bad (i32.const 1)))

  ;; $putv writes v as a varint at w and returns the next write position.
  (func $putv (param $w i32) (param $v i32) (result i32)
    (loop $next
      (if (i32.ge_u (local.get $v) (i32.const 0x80))
        (then
          (i32.store8 (local.get $w) (i32.or (local.get $v) (i32.const 0x80)))
          (local.set $w (i32.add (local.get $w) (i32.const 1)))
          (local.set $v (i32.shr_u (local.get $v) (i32.const 7)))
          (br $next))))
    (i32.store8 (local.get $w) (local.get $v))
    (i32.add (local.get $w) (i32.const 1)))

  ;; $copy copies n bytes from src to w and returns w + n.
  (func $copy (param $w i32) (param $src i32) (param $n i32) (result i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (i32.store8 (local.get $w) (i32.load8_u (local.get $src)))
        (local.set $w (i32.add (local.get $w) (i32.const 1)))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $w))

  ;; $emit appends DetectResponse.findings (1) = Finding{..., item, start,
  ;; end, message}. Findings that do not fit in the buffer are dropped.
  (func $emit (param $item i32) (param $start i32) (param $end i32)
    (local $w i32)
    (if (i32.gt_u (global.get $out) (i32.const 65400)) (then (return)))
    (i32.store8 (global.get $out) (i32.const 0x0a))
    (local.set $w (call $copy (i32.add (global.get $out) (i32.const 2)) (i32.const 152) (i32.const 35)))
    (if (local.get $item)
      (then
        (i32.store8 (local.get $w) (i32.const 0x38)) ;; item (7), varint
        (local.set $w (call $putv (i32.add (local.get $w) (i32.const 1)) (local.get $item)))))
    (if (local.get $start)
      (then
        (i32.store8 (local.get $w) (i32.const 0x40)) ;; start (8), varint
        (local.set $w (call $putv (i32.add (local.get $w) (i32.const 1)) (local.get $start)))))
    (i32.store8 (local.get $w) (i32.const 0x48))     ;; end (9), varint
    (local.set $w (call $putv (i32.add (local.get $w) (i32.const 1)) (local.get $end)))
    (local.set $w (call $copy (local.get $w) (i32.const 192) (i32.const 22)))
    ;; the body is at most 35 + 3*6 + 22 bytes: its length fits one byte
    (i32.store8 (i32.add (global.get $out) (i32.const 1))
      (i32.sub (local.get $w) (i32.add (global.get $out) (i32.const 2))))
    (global.set $out (local.get $w)))

  ;; $scan emits a finding for every "forbidden" in text[0:n].
  (func $scan (param $item i32) (param $text i32) (param $n i32)
    (local $i i32) (local $k i32)
    (block $done
      (loop $at
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 9)) (local.get $n)))
        (local.set $k (i32.const 0))
        (block $mismatch
          (loop $cmp
            (br_if $mismatch
              (i32.ne (i32.load8_u (i32.add (local.get $text) (i32.add (local.get $i) (local.get $k))))
                      (i32.load8_u (i32.add (i32.const 312) (local.get $k)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $cmp (i32.lt_u (local.get $k) (i32.const 9))))
          (call $emit (local.get $item) (local.get $i) (i32.add (local.get $i) (i32.const 9)))
          (local.set $i (i32.add (local.get $i) (i32.const 9)))
          (br $at))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $at))))

  ;; $item reads one Item (index = 1, text = 3) that ends at $lim and scans it.
  (func $item (param $lim i32)
    (local $tag i32) (local $index i32) (local $text i32) (local $n i32) (local $end i32)
    (block $done
      (loop $field
        (br_if $done (i32.ge_u (global.get $pos) (local.get $lim)))
        (local.set $tag (call $varint (local.get $lim)))
        (br_if $done (global.get $bad))
        (if (i32.eq (local.get $tag) (i32.const 0x08))
          (then (local.set $index (call $varint (local.get $lim))))
          (else
            (if (i32.eq (local.get $tag) (i32.const 0x1a))
              (then
                (local.set $end (call $sub (local.get $lim)))
                (local.set $text (global.get $pos))
                (local.set $n (i32.sub (local.get $end) (global.get $pos)))
                (global.set $pos (local.get $end)))
              (else (call $skip (i32.and (local.get $tag) (i32.const 7)) (local.get $lim))))))
        (br_if $done (global.get $bad))
        (br $field)))
    (if (i32.eqz (global.get $bad))
      (then (call $scan (local.get $index) (local.get $text) (local.get $n)))))

  ;; $event reads an Event that ends at $lim; items are field 10.
  (func $event (param $lim i32)
    (local $tag i32) (local $end i32)
    (block $done
      (loop $field
        (br_if $done (i32.ge_u (global.get $pos) (local.get $lim)))
        (local.set $tag (call $varint (local.get $lim)))
        (br_if $done (global.get $bad))
        (if (i32.eq (local.get $tag) (i32.const 0x52))
          (then
            (local.set $end (call $sub (local.get $lim)))
            (br_if $done (global.get $bad))
            (call $item (local.get $end))
            (global.set $pos (local.get $end)))
          (else (call $skip (i32.and (local.get $tag) (i32.const 7)) (local.get $lim))))
        (br_if $done (global.get $bad))
        (br $field))))

  ;; picket_detect(ptr, len): DetectRequest{event (1)} -> DetectResponse.
  (func (export "picket_detect") (param $ptr i32) (param $len i32) (result i64)
    (local $lim i32) (local $tag i32) (local $end i32)
    (global.set $bad (i32.const 0))
    (global.set $out (i32.const 1024))
    (global.set $pos (local.get $ptr))
    (local.set $lim (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $field
        (br_if $done (i32.ge_u (global.get $pos) (local.get $lim)))
        (local.set $tag (call $varint (local.get $lim)))
        (br_if $done (global.get $bad))
        (if (i32.eq (local.get $tag) (i32.const 0x0a))
          (then
            (local.set $end (call $sub (local.get $lim)))
            (br_if $done (global.get $bad))
            (call $event (local.get $end))
            (global.set $pos (local.get $end)))
          (else (call $skip (i32.and (local.get $tag) (i32.const 7)) (local.get $lim))))
        (br_if $done (global.get $bad))
        (br $field)))
    (if (result i64) (global.get $bad)
      (then (call $pack (i32.const 256) (i32.const 31)))
      (else (call $pack (i32.const 1024) (i32.sub (global.get $out) (i32.const 1024))))))
)
