// One produced memref read by three tasks on three ranks.  Placement
// (round-robin, 3+ ranks):
//
//   level 0: %make  (rank 0) writes m: m[i][j] = a[i][j] * 10 + j
//   level 1: %plus  (rank 0) reads m, writes o1: o1 = m + 1
//            %times (rank 1) reads m, writes o2: o2 = m * 3
//            %neg   (rank 2, sm_80) reads m, writes o3: o3 = -m
//
// m is sent from rank 0 to ranks 1 and 2 (once each), then every output is
// brought back to rank 0.
func.func @main(%a: memref<4x16xi32>, %m: memref<4x16xi32>, %o1: memref<4x16xi32>, %o2: memref<4x16xi32>, %o3: memref<4x16xi32>) {
  avial.schedule %a, %m, %o1, %o2, %o3 : memref<4x16xi32>, memref<4x16xi32>, memref<4x16xi32>, memref<4x16xi32>, memref<4x16xi32> {
    %cpu = avial.target {arch = "x86_64"}
    %gpu = avial.target {arch = "sm_80"}

    %make = avial.task %cpu reads(%a) writes(%m) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %c16 = arith.constant 16 : index
      %ten = arith.constant 10 : i32
      scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
        %v = memref.load %a[%i, %j] : memref<4x16xi32>
        %jj = arith.index_cast %j : index to i32
        %v10 = arith.muli %v, %ten : i32
        %r = arith.addi %v10, %jj : i32
        memref.store %r, %m[%i, %j] : memref<4x16xi32>
      }
      avial.yield
    }

    %plus = avial.task %cpu reads(%m) writes(%o1) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %c16 = arith.constant 16 : index
      %one = arith.constant 1 : i32
      scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
        %v = memref.load %m[%i, %j] : memref<4x16xi32>
        %r = arith.addi %v, %one : i32
        memref.store %r, %o1[%i, %j] : memref<4x16xi32>
      }
      avial.yield
    }

    %times = avial.task %cpu reads(%m) writes(%o2) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %c16 = arith.constant 16 : index
      %three = arith.constant 3 : i32
      scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
        %v = memref.load %m[%i, %j] : memref<4x16xi32>
        %r = arith.muli %v, %three : i32
        memref.store %r, %o2[%i, %j] : memref<4x16xi32>
      }
      avial.yield
    }

    %neg = avial.task %gpu reads(%m) writes(%o3) {
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %c16 = arith.constant 16 : index
      %zero = arith.constant 0 : i32
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
        %v = memref.load %m[%bx, %tx] : memref<4x16xi32>
        %r = arith.subi %zero, %v : i32
        memref.store %r, %o3[%bx, %tx] : memref<4x16xi32>
        gpu.terminator
      }
      avial.yield
    }
  }
  return
}
