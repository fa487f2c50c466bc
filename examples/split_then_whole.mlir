// A split producer followed by whole consumers.  %scale runs split by rows
// (every rank writes its block of %b); %total, a whole task, needs every row
// of %b on its rank and gathers them from the blocks' ranks, each block once;
// %edge reads only row 0 of %a and 0-d %s, placed by round-robin.
func.func @main(%a: memref<40x3xf32>, %b: memref<40x3xf32>, %s: memref<f32>, %t: memref<3xf32>) {
  avial.schedule %a, %b, %s, %t : memref<40x3xf32>, memref<40x3xf32>, memref<f32>, memref<3xf32> {
    %cpu = avial.target {arch = "x86_64"}

    %scale = avial.task %cpu reads(%a) writes(%b) {split = "rows"} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c3 = arith.constant 3 : index
      %c40 = arith.constant 40 : index
      %two = arith.constant 2.000000e+00 : f32
      scf.parallel (%i, %j) = (%c0, %c0) to (%c40, %c3) step (%c1, %c1) {
        %x = memref.load %a[%i, %j] : memref<40x3xf32>
        %y = arith.mulf %x, %two : f32
        memref.store %y, %b[%i, %j] : memref<40x3xf32>
      }
      avial.yield
    }

    %total = avial.task %cpu reads(%b) writes(%s) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c40 = arith.constant 40 : index
      %zero = arith.constant 0.000000e+00 : f32
      %sum = scf.for %i = %c0 to %c40 step %c1 iter_args(%acc = %zero) -> (f32) {
        %x = memref.load %b[%i, %c1] : memref<40x3xf32>
        %n = arith.addf %acc, %x : f32
        scf.yield %n : f32
      }
      memref.store %sum, %s[] : memref<f32>
      avial.yield
    }

    %edge = avial.task %cpu reads(%b, %s) writes(%t) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c3 = arith.constant 3 : index
      %all = memref.load %s[] : memref<f32>
      scf.parallel (%j) = (%c0) to (%c3) step (%c1) {
        %x = memref.load %b[%c0, %j] : memref<40x3xf32>
        %y = arith.subf %all, %x : f32
        memref.store %y, %t[%j] : memref<3xf32>
      }
      avial.yield
    }
  }
  return
}
