// The final value of a memref last written on rank 3.  Four independent
// tasks form level 0; round-robin puts the k-th on rank k % size, so with 4
// ranks %fourth runs on rank 3 and rank 0 must fetch %z from it to write the
// outputs.  (With fewer ranks it wraps around and still gives the same result.)
//
//   %first  writes w: w[i] = a[i] + 1
//   %second writes x: x[i] = a[i] + 2
//   %third  writes y: y[i] = a[i] + 3
//   %fourth writes z: z[i] = a[i] * a[i] - i
func.func @main(%a: memref<24xi64>, %w: memref<24xi64>, %x: memref<24xi64>, %y: memref<24xi64>, %z: memref<24xi64>) {
  avial.schedule %a, %w, %x, %y, %z : memref<24xi64>, memref<24xi64>, memref<24xi64>, memref<24xi64>, memref<24xi64> {
    %cpu = avial.target {arch = "x86_64"}

    %first = avial.task %cpu reads(%a) writes(%w) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c24 = arith.constant 24 : index
      %k = arith.constant 1 : i64
      scf.parallel (%i) = (%c0) to (%c24) step (%c1) {
        %v = memref.load %a[%i] : memref<24xi64>
        %r = arith.addi %v, %k : i64
        memref.store %r, %w[%i] : memref<24xi64>
      }
      avial.yield
    }

    %second = avial.task %cpu reads(%a) writes(%x) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c24 = arith.constant 24 : index
      %k = arith.constant 2 : i64
      scf.parallel (%i) = (%c0) to (%c24) step (%c1) {
        %v = memref.load %a[%i] : memref<24xi64>
        %r = arith.addi %v, %k : i64
        memref.store %r, %x[%i] : memref<24xi64>
      }
      avial.yield
    }

    %third = avial.task %cpu reads(%a) writes(%y) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c24 = arith.constant 24 : index
      %k = arith.constant 3 : i64
      scf.parallel (%i) = (%c0) to (%c24) step (%c1) {
        %v = memref.load %a[%i] : memref<24xi64>
        %r = arith.addi %v, %k : i64
        memref.store %r, %y[%i] : memref<24xi64>
      }
      avial.yield
    }

    %fourth = avial.task %cpu reads(%a) writes(%z) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c24 = arith.constant 24 : index
      scf.parallel (%i) = (%c0) to (%c24) step (%c1) {
        %v = memref.load %a[%i] : memref<24xi64>
        %sq = arith.muli %v, %v : i64
        %ii = arith.index_cast %i : index to i64
        %r = arith.subi %sq, %ii : i64
        memref.store %r, %z[%i] : memref<24xi64>
      }
      avial.yield
    }
  }
  return
}
