// expect: 10:7: error: 'scf.reduce' must be the last operation in its block; 'memref.store' follows it
// scf.reduce ends the body of scf.parallel: nothing may follow it.
avial.schedule %a : memref<4xi32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    scf.parallel (%i) = (%c0) to (%c4) step (%c4) {
      scf.reduce
      memref.store %c4, %a[%i] : memref<4xi32>
    }
  }
}
