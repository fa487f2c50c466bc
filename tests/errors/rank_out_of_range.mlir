// expect: 5:45: error: 'rank' of 'avial.task' must be a rank number from 0 to 2147483647, not 99999999999999999999
// MPI ranks are C ints: a larger rank would wrap in the generated C.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads() writes(%a) {rank = 99999999999999999999} {
    %c0 = arith.constant 0 : index
    %x = arith.constant 1 : i32
    memref.store %x, %a[%c0] : memref<4xi32>
  }
}
