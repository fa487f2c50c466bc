// expect: 8:51: error: invalid location: the alias '#loc7' is not defined
// A location alias is defined somewhere in the file (#loc7 = loc(...)).
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : i32
    memref.store %c1, %a[%c0] : memref<4xi32> loc(#loc7)
  }
}
