// expect: 8:10: error: 'arith.extsi' cannot convert i32 to i8
// arith.extsi must widen: i32 to i8 is a truncation.
avial.schedule %a, %b : memref<4xi32>, memref<4xi8> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%a) writes(%b) {
    %c0 = arith.constant 0 : index
    %x = memref.load %a[%c0] : memref<4xi32>
    %y = arith.extsi %x : i32 to i8
    memref.store %y, %b[%c0] : memref<4xi8>
  }
}
