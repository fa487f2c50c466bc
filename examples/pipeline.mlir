// A seven-task pipeline over i32 and i64 data on three targets, with every
// kind of hazard.  Dependences (and the levels they give):
//
//   %produce (x86_64)          writes x                            level 0
//   %widen   (sm_70)   reads x writes y        RAW x on %produce   level 1
//   %refill  (aarch64) reads z writes x        WAR x on %widen,
//                                              WAW x on %produce   level 2
//   %combine (x86_64)  reads y, x writes w     RAW y, RAW x        level 3
//   %square  (aarch64) reads z writes z        WAR z on %refill    level 3
//   %shift   (sm_70)   reads w, z writes y     RAW w, RAW z,
//                                              WAR y on %combine,
//                                              WAW y on %widen     level 4
//   %prefix  (x86_64)  reads y writes out      RAW y on %shift     level 5
//
// %refill is pinned to rank 1 and %shift to rank 3 (modulo the world size)
// with {rank = N}; the others are placed round-robin.  The GPU tasks use a
// 4x1x1 grid of 8 threads and gpu.global_id.
func.func @main(%x: memref<32xi32>, %y: memref<32xi64>, %z: memref<32xi32>, %w: memref<32xi64>, %out: memref<32xi64>) {
  avial.schedule %x, %y, %z, %w, %out : memref<32xi32>, memref<32xi64>, memref<32xi32>, memref<32xi64>, memref<32xi64> {
    %cpu = avial.target {arch = "x86_64"}
    %arm = avial.target {arch = "aarch64"}
    %gpu = avial.target {arch = "sm_70"}

    %produce = avial.task %cpu reads() writes(%x) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      %three = arith.constant 3 : i32
      scf.parallel (%i) = (%c0) to (%c32) step (%c1) {
        %ii = arith.index_cast %i : index to i32
        %v = arith.muli %ii, %three : i32
        memref.store %v, %x[%i] : memref<32xi32>
      }
      avial.yield
    }

    %widen = avial.task %gpu reads(%x) writes(%y) {
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %prime = arith.constant 1000000007 : i64
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
        %i = gpu.global_id x
        %v = memref.load %x[%i] : memref<32xi32>
        %v64 = arith.extsi %v : i32 to i64
        %big = arith.muli %v64, %prime : i64
        memref.store %big, %y[%i] : memref<32xi64>
        gpu.terminator
      }
      avial.yield
    }

    %refill = avial.task %arm reads(%z) writes(%x) {rank = 1} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      %two = arith.constant 2 : i32
      scf.parallel (%i) = (%c0) to (%c32) step (%c1) {
        %v = memref.load %z[%i] : memref<32xi32>
        %ii = arith.index_cast %i : index to i32
        %d = arith.muli %v, %two : i32
        %s = arith.addi %d, %ii : i32
        memref.store %s, %x[%i] : memref<32xi32>
      }
      avial.yield
    }

    %combine = avial.task %cpu reads(%y, %x) writes(%w) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      scf.parallel (%i) = (%c0) to (%c32) step (%c1) {
        %a = memref.load %y[%i] : memref<32xi64>
        %b = memref.load %x[%i] : memref<32xi32>
        %b64 = arith.extsi %b : i32 to i64
        %s = arith.addi %a, %b64 : i64
        memref.store %s, %w[%i] : memref<32xi64>
      }
      avial.yield
    }

    %square = avial.task %arm reads(%z) writes(%z) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      scf.parallel (%i) = (%c0) to (%c32) step (%c1) {
        %v = memref.load %z[%i] : memref<32xi32>
        %sq = arith.muli %v, %v : i32
        memref.store %sq, %z[%i] : memref<32xi32>
      }
      avial.yield
    }

    %shift = avial.task %gpu reads(%w, %z) writes(%y) {rank = 3} {
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %one = arith.constant 1 : i64
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
        %i = gpu.global_id x
        %a = memref.load %w[%i] : memref<32xi64>
        %b = memref.load %z[%i] : memref<32xi32>
        %half = arith.shrsi %a, %one : i64
        %b64 = arith.extsi %b : i32 to i64
        %s = arith.addi %half, %b64 : i64
        memref.store %s, %y[%i] : memref<32xi64>
        gpu.terminator
      }
      avial.yield
    }

    %prefix = avial.task %cpu reads(%y) writes(%out) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      %zero = arith.constant 0 : i64
      %total = scf.for %i = %c0 to %c32 step %c1 iter_args(%acc = %zero) -> (i64) {
        %v = memref.load %y[%i] : memref<32xi64>
        %s = arith.addi %acc, %v : i64
        memref.store %s, %out[%i] : memref<32xi64>
        scf.yield %s : i64
      }
      avial.yield
    }
  }
  return
}
