// expect: 8:72: error: invalid location: expected 'at' in callsite(... at ...), found ')'
// The contents of loc(...) are read as MLIR reads them: callsite(A at B).
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : i32
    memref.store %c1, %a[%c0] : memref<4xi32> loc(callsite("a.mlir":1:1))
  }
}
