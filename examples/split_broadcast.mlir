// A split task that reads a memref with no row dependence: %weigh runs split
// by rows over %x, and every row reads all of %w (its load index %k does not
// depend on the row %i), so every rank with rows needs every row of %w.
// %w is written first by %make on one rank, so the plan broadcasts it: one
// message to each other rank that has rows.  %smooth, also split, reads %y
// at rows %i - 2 .. %i + 1: a halo of two rows above and one below.
func.func @main(%w: memref<8xi32>, %x: memref<30xi32>, %y: memref<30xi32>, %z: memref<30xi32>) {
  avial.schedule %w, %x, %y, %z : memref<8xi32>, memref<30xi32>, memref<30xi32>, memref<30xi32> {
    %cpu = avial.target {arch = "x86_64"}

    %make = avial.task %cpu reads(%w) writes(%w) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      scf.parallel (%k) = (%c0) to (%c8) step (%c1) {
        %v = memref.load %w[%k] : memref<8xi32>
        %d = arith.muli %v, %v : i32
        memref.store %d, %w[%k] : memref<8xi32>
      }
      avial.yield
    }

    %weigh = avial.task %cpu reads(%w, %x) writes(%y) {split = "rows"} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      %c30 = arith.constant 30 : index
      %zero = arith.constant 0 : i32
      scf.parallel (%i) = (%c0) to (%c30) step (%c1) {
        %xi = memref.load %x[%i] : memref<30xi32>
        %s = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (i32) {
          %wk = memref.load %w[%k] : memref<8xi32>
          %p = arith.muli %wk, %xi : i32
          %n = arith.addi %acc, %p : i32
          scf.yield %n : i32
        }
        memref.store %s, %y[%i] : memref<30xi32>
      }
      avial.yield
    }

    %smooth = avial.task %cpu reads(%y) writes(%z) {split = "rows"} {
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c29 = arith.constant 29 : index
      scf.parallel (%i) = (%c2) to (%c29) step (%c1) {
        %im2 = arith.subi %i, %c2 : index
        %ip1 = arith.addi %i, %c1 : index
        %a = memref.load %y[%im2] : memref<30xi32>
        %b = memref.load %y[%ip1] : memref<30xi32>
        %c = memref.load %y[%i] : memref<30xi32>
        %ab = arith.addi %a, %b : i32
        %abc = arith.subi %ab, %c : i32
        memref.store %abc, %z[%i] : memref<30xi32>
      }
      avial.yield
    }
  }
  return
}
