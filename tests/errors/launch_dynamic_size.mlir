// expect: 9:5: error: the grid and block sizes of 'gpu.launch' must be constants
// The launch sizes must be constants so that the plan and the emulation know them.
avial.schedule %a, %n : memref<4xi32>, memref<1xindex> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads(%n) writes(%a) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %s = memref.load %n[%c0] : memref<1xindex>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %s, %sy = %c1, %sz = %c1) {
      %v = arith.constant 7 : i32
      memref.store %v, %a[%tx] : memref<4xi32>
      gpu.terminator
    }
  }
}
