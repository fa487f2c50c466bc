// A thread-private memref.alloca written before gpu.barrier and read after
// it: --gpu emulate rejected it while --interpret ran it.  Each thread keeps
// its own copy across the barrier.
func.func @main(%A: memref<8xi32>, %B: memref<8xi32>) {
  avial.schedule %A, %B : memref<8xi32>, memref<8xi32> {
    %gpu = avial.target {arch = "sm_80"}
    %mix = avial.task %gpu reads(%A) writes(%B) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
        %S = memref.alloca() : memref<4xi32, #gpu.address_space<workgroup>>
        %P = memref.alloca() : memref<2xi32>
        %base = arith.muli %bx, %c4 : index
        %g = arith.addi %base, %tx : index
        %x = memref.load %A[%g] : memref<8xi32>
        %y = arith.muli %x, %x : i32
        memref.store %x, %P[%c0] : memref<2xi32>
        memref.store %y, %P[%c1] : memref<2xi32>
        memref.store %x, %S[%tx] : memref<4xi32, #gpu.address_space<workgroup>>
        gpu.barrier
        %next = arith.addi %tx, %c1 : index
        %nb = arith.remui %next, %c4 : index
        %v = memref.load %S[%nb] : memref<4xi32, #gpu.address_space<workgroup>>
        %p0 = memref.load %P[%c0] : memref<2xi32>
        %p1 = memref.load %P[%c1] : memref<2xi32>
        %s = arith.addi %p0, %v : i32
        %t = arith.subi %s, %p1 : i32
        memref.store %t, %P[%c1] : memref<2xi32>
        gpu.barrier
        %u = memref.load %P[%c1] : memref<2xi32>
        memref.store %u, %B[%g] : memref<8xi32>
        gpu.terminator
      }
      avial.yield
    }
  }
  return
}
