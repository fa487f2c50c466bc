// expect: 7:10: error: 'arith.sitofp' cannot convert index to f32
// index has no fixed width: MLIR casts it with index_cast first.
avial.schedule %a : memref<4xf32> {
  %cpu = avial.target {arch = "x86_64"}
  %t1 = avial.task %cpu reads() writes(%a) {
    %c0 = arith.constant 0 : index
    %f = arith.sitofp %c0 : index to f32
    memref.store %f, %a[%c0] : memref<4xf32>
  }
}
