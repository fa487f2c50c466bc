// Reductions, four ways.  All four tasks are independent (one level).
//
//   %psum  : sum of %x with scf.parallel ... init (%zero) -> f32 and the
//            scf.reduce terminator (LLVM 19+ form) -> the rank-0 memref %s1
//   %fsum  : the same sum with a sequential scf.for ... iter_args  -> %s2[0]
//   %imax  : the maximum of the 8x8 i32 grid %n, two induction variables,
//            combined with arith.maxsi                              -> %m
//   %stats : one scf.parallel with two reductions at once: the sum of %x
//            (f32) and how many elements exceed 5 (i32); the task stores
//            their mean and the count                               -> %st
//
// With the default inputs %x holds 1..11 repeating, so %s1 = %s2 = 375 and
// %st = [5.859375, 34]; %n holds ((i + 3) mod 11) + 1, so %m = 11.
func.func @main(%x: memref<64xf32>, %n: memref<8x8xi32>, %s1: memref<f32>, %s2: memref<1xf32>, %m: memref<i32>, %st: memref<2xf32>) {
  avial.schedule %x, %n, %s1, %s2, %m, %st : memref<64xf32>, memref<8x8xi32>, memref<f32>, memref<1xf32>, memref<i32>, memref<2xf32> {
    %cpu = avial.target {arch = "x86_64"}

    %psum = avial.task %cpu reads(%x) writes(%s1) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c64 = arith.constant 64 : index
      %zero = arith.constant 0.000000e+00 : f32
      %sum = scf.parallel (%i) = (%c0) to (%c64) step (%c1) init (%zero) -> f32 {
        %v = memref.load %x[%i] : memref<64xf32>
        scf.reduce(%v : f32) {
        ^bb0(%lhs: f32, %rhs: f32):
          %s = arith.addf %lhs, %rhs : f32
          scf.reduce.return %s : f32
        }
      }
      memref.store %sum, %s1[] : memref<f32>
      avial.yield
    }

    %fsum = avial.task %cpu reads(%x) writes(%s2) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c64 = arith.constant 64 : index
      %zero = arith.constant 0.000000e+00 : f32
      %sum = scf.for %i = %c0 to %c64 step %c1 iter_args(%acc = %zero) -> (f32) {
        %v = memref.load %x[%i] : memref<64xf32>
        %next = arith.addf %acc, %v : f32
        scf.yield %next : f32
      }
      memref.store %sum, %s2[%c0] : memref<1xf32>
      avial.yield
    }

    %imax = avial.task %cpu reads(%n) writes(%m) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      %lowest = arith.constant -2147483648 : i32
      %max = scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) init (%lowest) -> i32 {
        %v = memref.load %n[%i, %j] : memref<8x8xi32>
        scf.reduce(%v : i32) {
        ^bb0(%lhs: i32, %rhs: i32):
          %r = arith.maxsi %lhs, %rhs : i32
          scf.reduce.return %r : i32
        }
      }
      memref.store %max, %m[] : memref<i32>
      avial.yield
    }

    %stats = avial.task %cpu reads(%x) writes(%st) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c64 = arith.constant 64 : index
      %zero = arith.constant 0.000000e+00 : f32
      %none = arith.constant 0 : i32
      %one = arith.constant 1 : i32
      %five = arith.constant 5.000000e+00 : f32
      %count_f = arith.constant 6.400000e+01 : f32
      %sum, %big = scf.parallel (%i) = (%c0) to (%c64) step (%c1) init (%zero, %none) -> (f32, i32) {
        %v = memref.load %x[%i] : memref<64xf32>
        %over = arith.cmpf ogt, %v, %five : f32
        %hit = arith.select %over, %one, %none : i32
        scf.reduce(%v, %hit : f32, i32) {
        ^bb0(%lhs: f32, %rhs: f32):
          %s = arith.addf %lhs, %rhs : f32
          scf.reduce.return %s : f32
        }, {
        ^bb0(%lhs: i32, %rhs: i32):
          %s = arith.addi %lhs, %rhs : i32
          scf.reduce.return %s : i32
        }
      }
      %mean = arith.divf %sum, %count_f : f32
      %big_f = arith.sitofp %big : i32 to f32
      memref.store %mean, %st[%c0] : memref<2xf32>
      memref.store %big_f, %st[%c1] : memref<2xf32>
      avial.yield
    }
  }
  return
}
