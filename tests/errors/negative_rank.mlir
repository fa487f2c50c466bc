// expect: 4:45: error: 'rank' of 'avial.task' must be a rank number from 0 to 2147483647, not -1
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads() writes(%a) {rank = -1} {
    %c0 = arith.constant 0 : index
    %x = arith.constant 1 : i32
    memref.store %x, %a[%c0] : memref<4xi32>
  }
}
