// The structure of bigexchange.mlir at 4096 elements (small enough to
// interpret op by op): at level 1, rank 0 and rank 1 each need a memref from
// the other at the same time.
//
//   level 0: %makep (rank 0) writes p: p[i] = i
//            %makeq (rank 1) writes q: q[i] = 2 * i
//   level 1: %useq  (rank 0) reads q, writes r: r[i] = q[i] + 1   (q: rank 1 -> 0)
//            %usep  (rank 1) reads p, writes s: s[i] = p[i] * 3   (p: rank 0 -> 1)
func.func @main(%p: memref<4096xf32>, %q: memref<4096xf32>, %r: memref<4096xf32>, %s: memref<4096xf32>) {
  avial.schedule %p, %q, %r, %s : memref<4096xf32>, memref<4096xf32>, memref<4096xf32>, memref<4096xf32> {
    %cpu = avial.target {arch = "x86_64"}

    %makep = avial.task %cpu reads() writes(%p) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %n = arith.constant 4096 : index
      %k = arith.constant 1.000000e+00 : f32
      scf.parallel (%i) = (%c0) to (%n) step (%c1) {
        %ii = arith.index_cast %i : index to i32
        %f = arith.sitofp %ii : i32 to f32
        %v = arith.mulf %f, %k : f32
        memref.store %v, %p[%i] : memref<4096xf32>
      }
      avial.yield
    }

    %makeq = avial.task %cpu reads() writes(%q) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %n = arith.constant 4096 : index
      %k = arith.constant 2.000000e+00 : f32
      scf.parallel (%i) = (%c0) to (%n) step (%c1) {
        %ii = arith.index_cast %i : index to i32
        %f = arith.sitofp %ii : i32 to f32
        %v = arith.mulf %f, %k : f32
        memref.store %v, %q[%i] : memref<4096xf32>
      }
      avial.yield
    }

    %useq = avial.task %cpu reads(%q) writes(%r) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %n = arith.constant 4096 : index
      %k = arith.constant 1.000000e+00 : f32
      scf.parallel (%i) = (%c0) to (%n) step (%c1) {
        %x = memref.load %q[%i] : memref<4096xf32>
        %v = arith.addf %x, %k : f32
        memref.store %v, %r[%i] : memref<4096xf32>
      }
      avial.yield
    }

    %usep = avial.task %cpu reads(%p) writes(%s) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %n = arith.constant 4096 : index
      %k = arith.constant 3.000000e+00 : f32
      scf.parallel (%i) = (%c0) to (%n) step (%c1) {
        %x = memref.load %p[%i] : memref<4096xf32>
        %v = arith.mulf %x, %k : f32
        memref.store %v, %s[%i] : memref<4096xf32>
      }
      avial.yield
    }
  }
  return
}
