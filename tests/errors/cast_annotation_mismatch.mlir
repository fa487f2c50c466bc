// expect: 8:22: error: type mismatch: 'arith.extsi' is written for i8, but '%x' is i32
// The annotation of a cast names its operand's type; mlir-opt checks it too.
avial.schedule %a, %b : memref<4xi32>, memref<4xi64> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4xi32>
    %y = arith.extsi %x : i8 to i64
    memref.store %y, %b[%c0] : memref<4xi64>
  }
}
