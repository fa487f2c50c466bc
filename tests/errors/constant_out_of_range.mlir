// expect: 7:25: error: integer constant 300 is out of range for i8
// An i8 holds -128..255 (signed or unsigned); mlir-opt says the same.
avial.schedule %a : memref<4xi8> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads() writes(%a) {
    %c0 = arith.constant 0 : index
    %x = arith.constant 300 : i8
    memref.store %x, %a[%c0] : memref<4xi8>
  }
}
