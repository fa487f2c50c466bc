// The Jacobi sweeps of jacobi_split.mlir on GPUs: each sweep is a GPU task
// split by rows, its body one terse gpu.launch (one thread per element of
// the 40 x 40 grid it writes; thread %t works on row %t / 40, column
// %t % 40).  Every rank launches its kernel over the threads of its block of
// rows only, so the sweeps use the GPUs of all ranks.  In the time loop:
//
//   %sweep1 (sm_90, split): v = the average of u's four neighbours (edges copied)
//   %sweep2 (sm_90, split): u = the same of v
//
// and after it %total (x86_64, whole): s = the sum of u.  Before a sweep a
// rank needs its block of rows plus one row above and one below (the loads
// at %i - 1 and %i + 1): only those halo rows move between neighbouring
// ranks, copied from the GPU of the sender and to the GPU of the receiver;
// the block itself stays on the rank's GPU from sweep to sweep.  %total
// gathers the blocks of u on one rank, each copied from its GPU once.
func.func @main(%u: memref<40x40xf32>, %v: memref<40x40xf32>, %s: memref<1xf32>) {
  avial.schedule %u, %v, %s : memref<40x40xf32>, memref<40x40xf32>, memref<1xf32> {
    %gpu = avial.target {arch = "sm_90"}
    %cpu = avial.target {arch = "x86_64"}
    %lo = arith.constant 0 : index
    %hi = arith.constant 4 : index
    %by = arith.constant 1 : index
    scf.for %step = %lo to %hi step %by {
      %sweep1 = avial.task %gpu reads(%u) writes(%v) {split = "rows"} {
        %c0 = arith.constant 0 : index
        %c1 = arith.constant 1 : index
        %c39 = arith.constant 39 : index
        %c40 = arith.constant 40 : index
        %quarter = arith.constant 2.500000e-01 : f32
        gpu.launch {
          %t = gpu.thread_id x
          %i = arith.divui %t, %c40 : index
          %j = arith.remui %t, %c40 : index
          %top = arith.cmpi eq, %i, %c0 : index
          %bottom = arith.cmpi eq, %i, %c39 : index
          %left = arith.cmpi eq, %j, %c0 : index
          %right = arith.cmpi eq, %j, %c39 : index
          %rows = arith.ori %top, %bottom : i1
          %cols = arith.ori %left, %right : i1
          %edge = arith.ori %rows, %cols : i1
          %new = scf.if %edge -> (f32) {
            %old = memref.load %u[%i, %j] : memref<40x40xf32>
            scf.yield %old : f32
          } else {
            %im = arith.subi %i, %c1 : index
            %ip = arith.addi %i, %c1 : index
            %jm = arith.subi %j, %c1 : index
            %jp = arith.addi %j, %c1 : index
            %n = memref.load %u[%im, %j] : memref<40x40xf32>
            %so = memref.load %u[%ip, %j] : memref<40x40xf32>
            %w = memref.load %u[%i, %jm] : memref<40x40xf32>
            %e = memref.load %u[%i, %jp] : memref<40x40xf32>
            %ns = arith.addf %n, %so : f32
            %we = arith.addf %w, %e : f32
            %sum = arith.addf %ns, %we : f32
            %avg = arith.mulf %sum, %quarter : f32
            scf.yield %avg : f32
          }
          memref.store %new, %v[%i, %j] : memref<40x40xf32>
        }
        avial.yield
      }

      %sweep2 = avial.task %gpu reads(%v) writes(%u) {split = "rows"} {
        %c0 = arith.constant 0 : index
        %c1 = arith.constant 1 : index
        %c39 = arith.constant 39 : index
        %c40 = arith.constant 40 : index
        %quarter = arith.constant 2.500000e-01 : f32
        gpu.launch {
          %t = gpu.thread_id x
          %i = arith.divui %t, %c40 : index
          %j = arith.remui %t, %c40 : index
          %top = arith.cmpi eq, %i, %c0 : index
          %bottom = arith.cmpi eq, %i, %c39 : index
          %left = arith.cmpi eq, %j, %c0 : index
          %right = arith.cmpi eq, %j, %c39 : index
          %rows = arith.ori %top, %bottom : i1
          %cols = arith.ori %left, %right : i1
          %edge = arith.ori %rows, %cols : i1
          %new = scf.if %edge -> (f32) {
            %old = memref.load %v[%i, %j] : memref<40x40xf32>
            scf.yield %old : f32
          } else {
            %im = arith.subi %i, %c1 : index
            %ip = arith.addi %i, %c1 : index
            %jm = arith.subi %j, %c1 : index
            %jp = arith.addi %j, %c1 : index
            %n = memref.load %v[%im, %j] : memref<40x40xf32>
            %so = memref.load %v[%ip, %j] : memref<40x40xf32>
            %w = memref.load %v[%i, %jm] : memref<40x40xf32>
            %e = memref.load %v[%i, %jp] : memref<40x40xf32>
            %ns = arith.addf %n, %so : f32
            %we = arith.addf %w, %e : f32
            %sum = arith.addf %ns, %we : f32
            %avg = arith.mulf %sum, %quarter : f32
            scf.yield %avg : f32
          }
          memref.store %new, %u[%i, %j] : memref<40x40xf32>
        }
        avial.yield
      }
    }

    %total = avial.task %cpu reads(%u) writes(%s) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c40 = arith.constant 40 : index
      %zero = arith.constant 0.000000e+00 : f32
      %sum = scf.for %i = %c0 to %c40 step %c1 iter_args(%acc = %zero) -> (f32) {
        %row = scf.for %j = %c0 to %c40 step %c1 iter_args(%racc = %acc) -> (f32) {
          %x = memref.load %u[%i, %j] : memref<40x40xf32>
          %next = arith.addf %racc, %x : f32
          scf.yield %next : f32
        }
        scf.yield %row : f32
      }
      memref.store %sum, %s[%c0] : memref<1xf32>
      avial.yield
    }
  }
  return
}
