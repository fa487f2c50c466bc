// expect: 7:25: error: 'true' is an i1 constant and takes no type: write 'arith.constant true', or 'arith.constant 1 : i1'
// 'true' and 'false' are i1 constants written without a type, as in MLIR.
avial.schedule %a : memref<4xi1> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %x = arith.constant true : i1
    memref.store %x, %a[%c0] : memref<4xi1>
  }
}
