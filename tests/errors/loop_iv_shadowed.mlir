// expect: 6:13: error: redefinition of value '%t'
// A nested loop cannot redefine the induction variable of its parent.
avial.schedule %u : memref<8xi32> {
  %cpu = avial.target {arch = "x86_64"}
  scf.for %t = 0 to 4 {
    scf.for %t = 0 to 2 {
      %a = avial.task %cpu writes(%u) {
        %c0 = arith.constant 0 : index
        %v = arith.constant 1 : i32
        memref.store %v, %u[%c0] : memref<8xi32>
      }
    }
  }
}
