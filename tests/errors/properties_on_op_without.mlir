// expect: 8:34: error: 'arith.remsi' has no properties: remove its '<{...}>'
// An op without properties in MLIR refuses '<{...}>' in the generic form.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%a) {
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4xi32>
    %y = "arith.remsi"(%x, %x) <{overflowFlags = #arith.overflow<none>}> : (i32, i32) -> i32
    memref.store %y, %a[%c0] : memref<4xi32>
  }
}
