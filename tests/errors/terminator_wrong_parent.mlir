// expect: 9:7: error: 'gpu.terminator' must be directly inside 'gpu.launch'
// gpu.terminator ends the body of gpu.launch, not of scf.for.
avial.schedule %a : memref<4xindex> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu writes(%a) {
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    scf.for %i = %c0 to %c4 step %c4 {
      gpu.terminator
    }
    memref.store %c4, %a[%c0] : memref<4xindex>
  }
}
