// A 2-D Jacobi stencil on a 16x16 f64 grid: four sweeps that alternate
// between the buffers %u and %v, one task per sweep.  Each sweep replaces every
// interior point by the average of its four neighbours and copies the boundary
// unchanged:
//
//   v[i][j] = 0.25 * (u[i-1][j] + u[i+1][j] + u[i][j-1] + u[i][j+1])   (interior)
//   v[i][j] = u[i][j]                                                  (boundary)
//
// sweep1: u -> v, sweep2: v -> u, sweep3: u -> v, sweep4: v -> u.  Every sweep
// depends on the one before it (RAW on the buffer it reads, WAR/WAW on the one
// it writes), so the schedule is a chain of four levels.  Shows scf.parallel
// with two induction variables, scf.if with a result and f64 constants.
func.func @main(%u: memref<16x16xf64>, %v: memref<16x16xf64>) {
  avial.schedule %u, %v : memref<16x16xf64>, memref<16x16xf64> {
    %cpu = avial.target {arch = "x86_64"}

    %sweep1 = avial.task %cpu reads(%u) writes(%v) {
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

    %sweep2 = avial.task %cpu reads(%v) writes(%u) {
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

    %sweep3 = avial.task %cpu reads(%u) writes(%v) {
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

    %sweep4 = avial.task %cpu reads(%v) writes(%u) {
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
  return
}
