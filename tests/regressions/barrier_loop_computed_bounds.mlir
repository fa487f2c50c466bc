// gpu.barrier in scf.for loops whose bounds are computed from uniform values
// (%bx + 1, (%bx + 1) * (%c1 + %c1), %c1 + %c1): --gpu emulate rejected them
// ("needs bounds that are the same for every thread") while --interpret ran them.
func.func @main(%A: memref<8xi32>, %B: memref<8xi32>) {
  avial.schedule %A, %B : memref<8xi32>, memref<8xi32> {
    %gpu = avial.target {arch = "sm_80"}
    %rotate = avial.task %gpu reads(%A) writes(%B) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
        %S = memref.alloca() : memref<4xi32, #gpu.address_space<workgroup>>
        %n = arith.addi %bx, %c1 : index
        %two = arith.addi %c1, %c1 : index
        %lim = arith.muli %n, %two : index
        %base = arith.muli %bx, %c4 : index
        %g = arith.addi %base, %tx : index
        %next = arith.addi %tx, %c1 : index
        %nb = arith.remui %next, %c4 : index
        %x0 = memref.load %A[%g] : memref<8xi32>
        %r = scf.for %k = %c0 to %lim step %c1 iter_args(%acc = %x0) -> (i32) {
          memref.store %acc, %S[%tx] : memref<4xi32, #gpu.address_space<workgroup>>
          gpu.barrier
          %v = memref.load %S[%nb] : memref<4xi32, #gpu.address_space<workgroup>>
          %s = arith.addi %acc, %v : i32
          gpu.barrier
          %inner = scf.for %j = %c0 to %two step %c1 iter_args(%a2 = %s) -> (i32) {
            memref.store %a2, %S[%tx] : memref<4xi32, #gpu.address_space<workgroup>>
            gpu.barrier
            %w = memref.load %S[%nb] : memref<4xi32, #gpu.address_space<workgroup>>
            %t = arith.subi %a2, %w : i32
            gpu.barrier
            scf.yield %t : i32
          }
          scf.yield %inner : i32
        }
        memref.store %r, %B[%g] : memref<8xi32>
        gpu.terminator
      }
      avial.yield
    }
  }
  return
}
