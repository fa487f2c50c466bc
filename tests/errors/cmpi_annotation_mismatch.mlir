// expect: 9:26: error: type mismatch: 'arith.cmpi' is written for i64, but '%x' is i32
avial.schedule %a, %b : memref<4xi32>, memref<4xi1> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %x = memref.load %a[%c0] : memref<4xi32>
    %y = memref.load %a[%c1] : memref<4xi32>
    %z = arith.cmpi slt, %x, %y : i64
    memref.store %z, %b[%c0] : memref<4xi1>
  }
}
