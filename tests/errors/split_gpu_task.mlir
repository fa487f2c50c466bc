// expect: 36:14: error: cannot split '%task3' by rows: splitting GPU tasks by rows is not supported yet
// GPU tasks are not split by rows yet: only CPU tasks are.
// The same program as seed.mlir, written with real MLIR types and the full
// custom syntax of the upstream ops. Must give exactly the same results.
func.func @main(%a: memref<20xi32>, %b: memref<20xi32>, %c: memref<20xi32>, %d: memref<20xi32>) {
  avial.schedule %a, %b, %c, %d : memref<20xi32>, memref<20xi32>, memref<20xi32>, memref<20xi32> {
    %cpu = avial.target {arch = "x86_64"}
    %gpu = avial.target {arch = "sm_90"}

    %task1 = avial.task %cpu reads(%a, %b) writes(%c) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c20 = arith.constant 20 : index
      scf.parallel (%i) = (%c0) to (%c20) step (%c1) {
        %x = memref.load %a[%i] : memref<20xi32>
        %y = memref.load %b[%i] : memref<20xi32>
        %z = arith.addi %x, %y : i32
        memref.store %z, %c[%i] : memref<20xi32>
      }
      avial.yield
    }

    %task2 = avial.task %cpu reads(%a, %b) writes(%d) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c20 = arith.constant 20 : index
      scf.parallel (%i) = (%c0) to (%c20) step (%c1) {
        %x = memref.load %a[%i] : memref<20xi32>
        %y = memref.load %b[%i] : memref<20xi32>
        %z = arith.muli %x, %y : i32
        memref.store %z, %d[%i] : memref<20xi32>
      }
      avial.yield
    }

    %task3 = avial.task %gpu reads(%c, %d) writes(%d) {split = "rows"} {
      %c1 = arith.constant 1 : index
      %c20 = arith.constant 20 : index
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c20, %sy = %c1, %sz = %c1) {
        %x = memref.load %c[%tx] : memref<20xi32>
        %y = memref.load %d[%tx] : memref<20xi32>
        %z = arith.addi %x, %y : i32
        memref.store %z, %d[%tx] : memref<20xi32>
        gpu.terminator
      }
      avial.yield
    }
  }
  return
}
