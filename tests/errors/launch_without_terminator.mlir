// expect: 11:7: error: a region of 'gpu.launch' must end with 'gpu.terminator', but it ends with 'memref.store'
// MLIR needs gpu.terminator written at the end of gpu.launch's body (the
// terse 'gpu.launch { ... }' of the seed form needs none).
avial.schedule %a : memref<4xindex> {
  %gpu = avial.target {arch = "sm_90"}
  %t1 = avial.task %gpu writes(%a) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
      memref.store %tx, %a[%tx] : memref<4xindex>
    }
  }
}
