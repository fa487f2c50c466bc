// A task that overwrites only part of a memref, on a different rank than the
// one holding the current contents.  Placement (round-robin, 2+ ranks):
//
//   level 0: %fill  (rank 0) reads a, writes all of x: x[i] = 2 * a[i]
//            %other (rank 1) writes y: y[i] = i * i
//   level 1: %use   (rank 0) reads y, writes z: z[i] = y[i] + 1
//            %half  (rank 1) writes x[0..15] only: x[i] = 100 + i
//
// %half depends on %fill (WAW on x).  Since it does not overwrite all of x,
// rank 1 must first receive x from rank 0: the final x is
// [100, 101, ..., 115, 2*a[16], ..., 2*a[31]], never rank 1's stale x.
func.func @main(%a: memref<32xi32>, %x: memref<32xi32>, %y: memref<32xi32>, %z: memref<32xi32>) {
  avial.schedule %a, %x, %y, %z : memref<32xi32>, memref<32xi32>, memref<32xi32>, memref<32xi32> {
    %cpu = avial.target {arch = "x86_64"}

    %fill = avial.task %cpu reads(%a) writes(%x) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      %two = arith.constant 2 : i32
      scf.parallel (%i) = (%c0) to (%c32) step (%c1) {
        %v = memref.load %a[%i] : memref<32xi32>
        %d = arith.muli %v, %two : i32
        memref.store %d, %x[%i] : memref<32xi32>
      }
      avial.yield
    }

    %other = avial.task %cpu reads() writes(%y) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      scf.parallel (%i) = (%c0) to (%c32) step (%c1) {
        %ii = arith.index_cast %i : index to i32
        %sq = arith.muli %ii, %ii : i32
        memref.store %sq, %y[%i] : memref<32xi32>
      }
      avial.yield
    }

    %use = avial.task %cpu reads(%y) writes(%z) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c32 = arith.constant 32 : index
      %one = arith.constant 1 : i32
      scf.parallel (%i) = (%c0) to (%c32) step (%c1) {
        %v = memref.load %y[%i] : memref<32xi32>
        %s = arith.addi %v, %one : i32
        memref.store %s, %z[%i] : memref<32xi32>
      }
      avial.yield
    }

    %half = avial.task %cpu reads() writes(%x) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c16 = arith.constant 16 : index
      %hundred = arith.constant 100 : i32
      scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
        %ii = arith.index_cast %i : index to i32
        %v = arith.addi %ii, %hundred : i32
        memref.store %v, %x[%i] : memref<32xi32>
      }
      avial.yield
    }
  }
  return
}
