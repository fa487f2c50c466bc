// The 2-D Jacobi of jacobi_split.mlir written as a time loop: each iteration
// runs two sweeps (%u -> %v, then %v -> %u), each split by rows over all
// ranks.  The loop is planned once: in every iteration each rank receives
// only the halo rows its block needs from its neighbours, and the final
// gathering brings each block of %u and %v to rank 0 once, after the loop.
func.func @main(%u: memref<16x16xf64>, %v: memref<16x16xf64>) {
  avial.schedule %u, %v : memref<16x16xf64>, memref<16x16xf64> {
    %cpu = avial.target {arch = "x86_64"}
    %first = arith.constant 0 : index
    %sweeps = arith.constant 10 : index
    %one = arith.constant 1 : index
    scf.for %t = %first to %sweeps step %one {
      %sweep1 = avial.task %cpu reads(%u) writes(%v) {split = "rows"} {
        %c0 = arith.constant 0 : index
        %c1 = arith.constant 1 : index
        %c15 = arith.constant 15 : index
        %c16 = arith.constant 16 : index
        %quarter = arith.constant 2.500000e-01 : f64
        scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c16) step (%c1, %c1) {
          %top = arith.cmpi eq, %i, %c0 : index
          %bottom = arith.cmpi eq, %i, %c15 : index
          %left = arith.cmpi eq, %j, %c0 : index
          %right = arith.cmpi eq, %j, %c15 : index
          %rows = arith.ori %top, %bottom : i1
          %cols = arith.ori %left, %right : i1
          %edge = arith.ori %rows, %cols : i1
          %new = scf.if %edge -> (f64) {
            %old = memref.load %u[%i, %j] : memref<16x16xf64>
            scf.yield %old : f64
          } else {
            %im = arith.subi %i, %c1 : index
            %ip = arith.addi %i, %c1 : index
            %jm = arith.subi %j, %c1 : index
            %jp = arith.addi %j, %c1 : index
            %n = memref.load %u[%im, %j] : memref<16x16xf64>
            %s = memref.load %u[%ip, %j] : memref<16x16xf64>
            %w = memref.load %u[%i, %jm] : memref<16x16xf64>
            %e = memref.load %u[%i, %jp] : memref<16x16xf64>
            %ns = arith.addf %n, %s : f64
            %we = arith.addf %w, %e : f64
            %sum = arith.addf %ns, %we : f64
            %avg = arith.mulf %sum, %quarter : f64
            scf.yield %avg : f64
          }
          memref.store %new, %v[%i, %j] : memref<16x16xf64>
        }
        avial.yield
      }

      %sweep2 = avial.task %cpu reads(%v) writes(%u) {split = "rows"} {
        %c0 = arith.constant 0 : index
        %c1 = arith.constant 1 : index
        %c15 = arith.constant 15 : index
        %c16 = arith.constant 16 : index
        %quarter = arith.constant 2.500000e-01 : f64
        scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c16) step (%c1, %c1) {
          %top = arith.cmpi eq, %i, %c0 : index
          %bottom = arith.cmpi eq, %i, %c15 : index
          %left = arith.cmpi eq, %j, %c0 : index
          %right = arith.cmpi eq, %j, %c15 : index
          %rows = arith.ori %top, %bottom : i1
          %cols = arith.ori %left, %right : i1
          %edge = arith.ori %rows, %cols : i1
          %new = scf.if %edge -> (f64) {
            %old = memref.load %v[%i, %j] : memref<16x16xf64>
            scf.yield %old : f64
          } else {
            %im = arith.subi %i, %c1 : index
            %ip = arith.addi %i, %c1 : index
            %jm = arith.subi %j, %c1 : index
            %jp = arith.addi %j, %c1 : index
            %n = memref.load %v[%im, %j] : memref<16x16xf64>
            %s = memref.load %v[%ip, %j] : memref<16x16xf64>
            %w = memref.load %v[%i, %jm] : memref<16x16xf64>
            %e = memref.load %v[%i, %jp] : memref<16x16xf64>
            %ns = arith.addf %n, %s : f64
            %we = arith.addf %w, %e : f64
            %sum = arith.addf %ns, %we : f64
            %avg = arith.mulf %sum, %quarter : f64
            scf.yield %avg : f64
          }
          memref.store %new, %u[%i, %j] : memref<16x16xf64>
        }
        avial.yield
      }
    }
  }
  return
}
