// expect: 7:25: error: decimal integer literal 3 for the float type f32; write a float literal such as 3.0 (or a hexadecimal bit pattern)
// A float constant is written as a float (3.0), as MLIR requires.
avial.schedule %a : memref<4xf32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %x = arith.constant 3 : f32
    memref.store %x, %a[%c0] : memref<4xf32>
  }
}
