// Two GPU matrix multiplications of 16x16 f32 matrices and a CPU task that
// checks them.
//
//   %naive (sm_80): C = A x B with a 2x2 grid of 8x8 blocks; thread (tx, ty) of
//          block (bx, by) computes C[by*8 + ty][bx*8 + tx] as an scf.for
//          iter_args dot product (block size read with gpu.block_dim).
//   %tiled (sm_80): D = A x B again, tiled: each block stages 8x8 tiles of A
//          and B in workgroup memory (memref.alloca in address space
//          workgroup), with gpu.barrier before and after each tile is used.
//   %check (x86_64): E = C - D (all zero: the products of small integers are
//          exact in f32 in any order) and rowsum[i] = sum_j C[i][j].
//
// %naive and %tiled are independent (level 0); %check reads both (level 1).
func.func @main(%A: memref<16x16xf32>, %B: memref<16x16xf32>, %C: memref<16x16xf32>, %D: memref<16x16xf32>, %E: memref<16x16xf32>, %rowsum: memref<16xf32>) {
  avial.schedule %A, %B, %C, %D, %E, %rowsum : memref<16x16xf32>, memref<16x16xf32>, memref<16x16xf32>, memref<16x16xf32>, memref<16x16xf32>, memref<16xf32> {
    %gpu = avial.target {arch = "sm_80"}
    %cpu = avial.target {arch = "x86_64"}

    %naive = avial.task %gpu reads(%A, %B) writes(%C) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c8 = arith.constant 8 : index
      %c16 = arith.constant 16 : index
      %zero = arith.constant 0.000000e+00 : f32
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c2, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c8, %sz = %c1) {
        %bdx = gpu.block_dim x
        %bdy = gpu.block_dim y
        %row0 = arith.muli %by, %bdy : index
        %row = arith.addi %row0, %ty : index
        %col0 = arith.muli %bx, %bdx : index
        %col = arith.addi %col0, %tx : index
        %sum = scf.for %k = %c0 to %c16 step %c1 iter_args(%acc = %zero) -> (f32) {
          %a = memref.load %A[%row, %k] : memref<16x16xf32>
          %b = memref.load %B[%k, %col] : memref<16x16xf32>
          %p = arith.mulf %a, %b : f32
          %s = arith.addf %acc, %p : f32
          scf.yield %s : f32
        }
        memref.store %sum, %C[%row, %col] : memref<16x16xf32>
        gpu.terminator
      }
      avial.yield
    }

    %tiled = avial.task %gpu reads(%A, %B) writes(%D) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c8 = arith.constant 8 : index
      %zero = arith.constant 0.000000e+00 : f32
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c2, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c8, %sz = %c1) {
        %As = memref.alloca() : memref<64xf32, #gpu.address_space<workgroup>>
        %Bs = memref.alloca() : memref<64xf32, #gpu.address_space<workgroup>>
        %row0 = arith.muli %by, %c8 : index
        %row = arith.addi %row0, %ty : index
        %col0 = arith.muli %bx, %c8 : index
        %col = arith.addi %col0, %tx : index
        %ty8 = arith.muli %ty, %c8 : index
        %mine = arith.addi %ty8, %tx : index
        %sum = scf.for %t = %c0 to %c2 step %c1 iter_args(%acc = %zero) -> (f32) {
          %t8 = arith.muli %t, %c8 : index
          %acol = arith.addi %t8, %tx : index
          %brow = arith.addi %t8, %ty : index
          %a = memref.load %A[%row, %acol] : memref<16x16xf32>
          %b = memref.load %B[%brow, %col] : memref<16x16xf32>
          memref.store %a, %As[%mine] : memref<64xf32, #gpu.address_space<workgroup>>
          memref.store %b, %Bs[%mine] : memref<64xf32, #gpu.address_space<workgroup>>
          gpu.barrier
          %part = scf.for %k = %c0 to %c8 step %c1 iter_args(%inner = %acc) -> (f32) {
            %ai = arith.addi %ty8, %k : index
            %k8 = arith.muli %k, %c8 : index
            %bi = arith.addi %k8, %tx : index
            %av = memref.load %As[%ai] : memref<64xf32, #gpu.address_space<workgroup>>
            %bv = memref.load %Bs[%bi] : memref<64xf32, #gpu.address_space<workgroup>>
            %p = arith.mulf %av, %bv : f32
            %s = arith.addf %inner, %p : f32
            scf.yield %s : f32
          }
          gpu.barrier
          scf.yield %part : f32
        }
        memref.store %sum, %D[%row, %col] : memref<16x16xf32>
        gpu.terminator
      }
      avial.yield
    }

    %check = avial.task %cpu reads(%C, %D) writes(%E, %rowsum) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c16 = arith.constant 16 : index
      %zero = arith.constant 0.000000e+00 : f32
      scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c16) step (%c1, %c1) {
        %x = memref.load %C[%i, %j] : memref<16x16xf32>
        %y = memref.load %D[%i, %j] : memref<16x16xf32>
        %d = arith.subf %x, %y : f32
        memref.store %d, %E[%i, %j] : memref<16x16xf32>
      }
      scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
        %total = scf.for %j = %c0 to %c16 step %c1 iter_args(%acc = %zero) -> (f32) {
          %x = memref.load %C[%i, %j] : memref<16x16xf32>
          %s = arith.addf %acc, %x : f32
          scf.yield %s : f32
        }
        memref.store %total, %rowsum[%i] : memref<16xf32>
      }
      avial.yield
    }
  }
  return
}
