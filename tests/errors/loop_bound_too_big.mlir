// expect: 5:21: error: '99999999999999999999' does not fit in an index
// A literal bound must fit in an index.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  scf.for %t = 0 to 99999999999999999999 {
    %a = avial.task %cpu writes(%u) {
      %c0 = arith.constant 0 : index
      %v = arith.constant 1 : i32
      memref.store %v, %u[%c0] : memref<8xi32>
    }
  }
}
