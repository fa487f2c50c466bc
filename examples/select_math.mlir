// Scalar ops, one result per column.  Three independent tasks (one level):
//
//   %math  (x86_64): the math dialect on x = %c[i] in 1..11 (f64) and on the
//          half-integers h = (x - 6) / 2 in -2.5..2.5 (round is half away from
//          zero; remf takes the sign of the dividend like C fmod), negf,
//          minimumf/maximumf/minnumf/maxnumf          -> %m[i][0..23]
//          cmpf with eight predicates, NaN included   -> %flags[i][0..7]
//          (q = sqrt(h) is NaN where h < 0; the NaN is only compared, never stored)
//   %casts (x86_64): the arith casts on a = %a[i] (f32) and b = %b[i] (i32),
//          an scf.if with a result, select           -> %f[i][0..7], %w[i][0..5]
//   %ints  (sm_80, one block of 16 threads): the integer ops on z = 7 * (b - 6)
//          in -35..35 and b in 1..11: signed, unsigned, floor and ceil
//          division, bit ops and shifts (left shifts of negatives included,
//          shift amounts below the width), min/max, absi, cmpi with all ten
//          predicates packed into a bit mask, wrapping multiplication, gcd and
//          Collatz step counts with scf.while (at most 300 steps, so that
//          every input ends: 0 and negative starts cycle), scf.execute_region
//                                                          -> %n[i][0..23]
//
// The inputs are positive (the default ((i + 3k) mod 11) + 1), so log, log2,
// log10, rsqrt and powf are well defined, and every divisor is non-zero.
func.func @main(%a: memref<16xf32>, %b: memref<16xi32>, %c: memref<16xf64>, %m: memref<16x24xf64>, %flags: memref<16x8xi1>, %f: memref<16x8xf32>, %w: memref<16x6xi64>, %n: memref<16x24xi32>) {
  avial.schedule %a, %b, %c, %m, %flags, %f, %w, %n : memref<16xf32>, memref<16xi32>, memref<16xf64>, memref<16x24xf64>, memref<16x8xi1>, memref<16x8xf32>, memref<16x6xi64>, memref<16x24xi32> {
    %cpu = avial.target {arch = "x86_64"}
    %gpu = avial.target {arch = "sm_80"}

    %math = avial.task %cpu reads(%c) writes(%m, %flags) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c3 = arith.constant 3 : index
      %c4 = arith.constant 4 : index
      %c5 = arith.constant 5 : index
      %c6 = arith.constant 6 : index
      %c7 = arith.constant 7 : index
      %c8 = arith.constant 8 : index
      %c9 = arith.constant 9 : index
      %c10 = arith.constant 10 : index
      %c11 = arith.constant 11 : index
      %c12 = arith.constant 12 : index
      %c13 = arith.constant 13 : index
      %c14 = arith.constant 14 : index
      %c15 = arith.constant 15 : index
      %c16 = arith.constant 16 : index
      %c17 = arith.constant 17 : index
      %c18 = arith.constant 18 : index
      %c19 = arith.constant 19 : index
      %c20 = arith.constant 20 : index
      %c21 = arith.constant 21 : index
      %c22 = arith.constant 22 : index
      %c23 = arith.constant 23 : index
      %zero = arith.constant 0.000000e+00 : f64
      %half = arith.constant 5.000000e-01 : f64
      %one = arith.constant 1.000000e+00 : f64
      %onehalf = arith.constant 1.500000e+00 : f64
      %three = arith.constant 3.000000e+00 : f64
      %six = arith.constant 6.000000e+00 : f64
      %threeq = arith.constant 7.500000e-01 : f64
      %mtwo = arith.constant -2.000000e+00 : f64
      scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
        %x = memref.load %c[%i] : memref<16xf64>
        %xm6 = arith.subf %x, %six : f64
        %h = arith.mulf %xm6, %half : f64
        %sqrt = math.sqrt %x : f64
        %exp = math.exp %x : f64
        %log = math.log %x : f64
        %sin = math.sin %x : f64
        %cos = math.cos %x : f64
        %tanh = math.tanh %x : f64
        %d = arith.subf %three, %x : f64
        %absd = math.absf %d : f64
        %pow = math.powf %x, %onehalf : f64
        %fma = math.fma %x, %half, %mtwo : f64
        %floor = math.floor %h : f64
        %ceil = math.ceil %h : f64
        %round = math.round %h : f64
        %rsqrt = math.rsqrt %x : f64
        %exp2 = math.exp2 %x : f64
        %log2 = math.log2 %x : f64
        %log10 = math.log10 %x : f64
        %tan = math.tan %x : f64
        %rem = arith.remf %h, %threeq : f64
        %neg = arith.negf %h : f64
        %minimum = arith.minimumf %x, %six : f64
        %maximum = arith.maximumf %h, %zero : f64
        %minnum = arith.minnumf %x, %h : f64
        %maxnum = arith.maxnumf %neg, %one : f64
        memref.store %sqrt, %m[%i, %c0] : memref<16x24xf64>
        memref.store %exp, %m[%i, %c1] : memref<16x24xf64>
        memref.store %log, %m[%i, %c2] : memref<16x24xf64>
        memref.store %sin, %m[%i, %c3] : memref<16x24xf64>
        memref.store %cos, %m[%i, %c4] : memref<16x24xf64>
        memref.store %tanh, %m[%i, %c5] : memref<16x24xf64>
        memref.store %absd, %m[%i, %c6] : memref<16x24xf64>
        memref.store %pow, %m[%i, %c7] : memref<16x24xf64>
        memref.store %fma, %m[%i, %c8] : memref<16x24xf64>
        memref.store %floor, %m[%i, %c9] : memref<16x24xf64>
        memref.store %ceil, %m[%i, %c10] : memref<16x24xf64>
        memref.store %round, %m[%i, %c11] : memref<16x24xf64>
        memref.store %rsqrt, %m[%i, %c12] : memref<16x24xf64>
        memref.store %exp2, %m[%i, %c13] : memref<16x24xf64>
        memref.store %log2, %m[%i, %c14] : memref<16x24xf64>
        memref.store %log10, %m[%i, %c15] : memref<16x24xf64>
        memref.store %tan, %m[%i, %c16] : memref<16x24xf64>
        memref.store %rem, %m[%i, %c17] : memref<16x24xf64>
        memref.store %neg, %m[%i, %c18] : memref<16x24xf64>
        memref.store %minimum, %m[%i, %c19] : memref<16x24xf64>
        memref.store %maximum, %m[%i, %c20] : memref<16x24xf64>
        memref.store %minnum, %m[%i, %c21] : memref<16x24xf64>
        memref.store %maxnum, %m[%i, %c22] : memref<16x24xf64>
        memref.store %h, %m[%i, %c23] : memref<16x24xf64>
        %q = math.sqrt %h : f64
        %oeq = arith.cmpf oeq, %x, %six : f64
        %one_ = arith.cmpf one, %x, %six : f64
        %olt = arith.cmpf olt, %h, %zero : f64
        %oge = arith.cmpf oge, %h, %one : f64
        %uno = arith.cmpf uno, %q, %q : f64
        %ord = arith.cmpf ord, %q, %x : f64
        %ueq = arith.cmpf ueq, %q, %one : f64
        %une = arith.cmpf une, %q, %one : f64
        memref.store %oeq, %flags[%i, %c0] : memref<16x8xi1>
        memref.store %one_, %flags[%i, %c1] : memref<16x8xi1>
        memref.store %olt, %flags[%i, %c2] : memref<16x8xi1>
        memref.store %oge, %flags[%i, %c3] : memref<16x8xi1>
        memref.store %uno, %flags[%i, %c4] : memref<16x8xi1>
        memref.store %ord, %flags[%i, %c5] : memref<16x8xi1>
        memref.store %ueq, %flags[%i, %c6] : memref<16x8xi1>
        memref.store %une, %flags[%i, %c7] : memref<16x8xi1>
      }
      avial.yield
    }

    %casts = avial.task %cpu reads(%a, %b) writes(%f, %w) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c3 = arith.constant 3 : index
      %c4 = arith.constant 4 : index
      %c5 = arith.constant 5 : index
      %c6 = arith.constant 6 : index
      %c7 = arith.constant 7 : index
      %c16 = arith.constant 16 : index
      %i0 = arith.constant 0 : i32
      %i1 = arith.constant 1 : i32
      %i6 = arith.constant 6 : i32
      %i40 = arith.constant 40 : i32
      %i3000 = arith.constant 3000 : i32
      %big = arith.constant 1000000007 : index
      %tenth = arith.constant 1.000000e-01 : f64
      %e10 = arith.constant 1.000000e+10 : f64
      %six = arith.constant 6.000000e+00 : f32
      %twenty = arith.constant 2.000000e+01 : f32
      %k17 = arith.constant 1.700000e+00 : f32
      scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
        %x = memref.load %a[%i] : memref<16xf32>
        %y = memref.load %b[%i] : memref<16xi32>
        %ys = arith.subi %y, %i6 : i32
        %s2f = arith.sitofp %ys : i32 to f32
        %u2f = arith.uitofp %y : i32 to f32
        %xd = arith.extf %x : f32 to f64
        %xd10 = arith.mulf %xd, %tenth : f64
        %back = arith.truncf %xd10 : f64 to f32
        %bits = arith.bitcast %x : f32 to i32
        %bits1 = arith.addi %bits, %i1 : i32
        %nextup = arith.bitcast %bits1 : i32 to f32
        %small = arith.cmpf olt, %x, %six : f32
        %branch = scf.if %small -> (f32) {
          %dbl = arith.addf %x, %x : f32
          scf.yield %dbl : f32
        } else {
          %less = arith.subf %x, %twenty : f32
          scf.yield %less : f32
        }
        %neg = arith.cmpi slt, %ys, %i0 : i32
        %negx = arith.negf %x : f32
        %sel = arith.select %neg, %x, %negx : f32
        %xs = arith.subf %x, %six : f32
        %scaled = arith.mulf %xs, %k17 : f32
        %trunc = arith.fptosi %scaled : f32 to i32
        %trunc_f = arith.sitofp %trunc : i32 to f32
        %idx = arith.index_cast %ys : i32 to index
        %idx_big = arith.muli %idx, %big : index
        %idx_f = arith.index_cast %idx : index to i32
        %idx_f2 = arith.sitofp %idx_f : i32 to f32
        memref.store %s2f, %f[%i, %c0] : memref<16x8xf32>
        memref.store %u2f, %f[%i, %c1] : memref<16x8xf32>
        memref.store %back, %f[%i, %c2] : memref<16x8xf32>
        memref.store %nextup, %f[%i, %c3] : memref<16x8xf32>
        memref.store %branch, %f[%i, %c4] : memref<16x8xf32>
        memref.store %sel, %f[%i, %c5] : memref<16x8xf32>
        memref.store %trunc_f, %f[%i, %c6] : memref<16x8xf32>
        memref.store %idx_f2, %f[%i, %c7] : memref<16x8xf32>
        %sext = arith.extsi %ys : i32 to i64
        %zext = arith.extui %ys : i32 to i64
        %idx64 = arith.index_cast %idx_big : index to i64
        %y40 = arith.muli %y, %i40 : i32
        %y8 = arith.trunci %y40 : i32 to i8
        %y8w = arith.extsi %y8 : i8 to i64
        %y3000 = arith.muli %y, %i3000 : i32
        %y16 = arith.trunci %y3000 : i32 to i16
        %y16w = arith.extsi %y16 : i16 to i64
        %xe10 = arith.mulf %xd, %e10 : f64
        %x64 = arith.fptosi %xe10 : f64 to i64
        memref.store %sext, %w[%i, %c0] : memref<16x6xi64>
        memref.store %zext, %w[%i, %c1] : memref<16x6xi64>
        memref.store %idx64, %w[%i, %c2] : memref<16x6xi64>
        memref.store %y8w, %w[%i, %c3] : memref<16x6xi64>
        memref.store %y16w, %w[%i, %c4] : memref<16x6xi64>
        memref.store %x64, %w[%i, %c5] : memref<16x6xi64>
      }
      avial.yield
    }

    %ints = avial.task %gpu reads(%b) writes(%n) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c3 = arith.constant 3 : index
      %c4 = arith.constant 4 : index
      %c5 = arith.constant 5 : index
      %c6 = arith.constant 6 : index
      %c7 = arith.constant 7 : index
      %c8 = arith.constant 8 : index
      %c9 = arith.constant 9 : index
      %c10 = arith.constant 10 : index
      %c11 = arith.constant 11 : index
      %c12 = arith.constant 12 : index
      %c13 = arith.constant 13 : index
      %c14 = arith.constant 14 : index
      %c15 = arith.constant 15 : index
      %c16 = arith.constant 16 : index
      %c17 = arith.constant 17 : index
      %c18 = arith.constant 18 : index
      %c19 = arith.constant 19 : index
      %c20 = arith.constant 20 : index
      %c21 = arith.constant 21 : index
      %c22 = arith.constant 22 : index
      %c23 = arith.constant 23 : index
      %k0 = arith.constant 0 : i32
      %k1 = arith.constant 1 : i32
      %k2 = arith.constant 2 : i32
      %k3 = arith.constant 3 : i32
      %k6 = arith.constant 6 : i32
      %k7 = arith.constant 7 : i32
      %k90 = arith.constant 90 : i32
      %kall = arith.constant -1 : i32
      %kmul = arith.constant 123456789 : i32
      %kfuel = arith.constant 300 : i32
      gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
                 threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c1, %sz = %c1) {
        %x = memref.load %b[%tx] : memref<16xi32>
        %y = arith.subi %x, %k6 : i32
        %z = arith.muli %y, %k7 : i32
        %divsi = arith.divsi %z, %x : i32
        %remsi = arith.remsi %z, %x : i32
        %floordiv = arith.floordivsi %z, %x : i32
        %ceildiv = arith.ceildivsi %z, %x : i32
        %divui = arith.divui %z, %x : i32
        %remui = arith.remui %z, %x : i32
        %andi = arith.andi %z, %k90 : i32
        %ori = arith.ori %z, %x : i32
        %xori = arith.xori %z, %kall : i32
        %sh7 = arith.andi %x, %k7 : i32
        %sh3 = arith.andi %x, %k3 : i32
        %shli = arith.shli %z, %sh7 : i32
        %shrsi = arith.shrsi %z, %sh3 : i32
        %shrui = arith.shrui %z, %sh3 : i32
        %minsi = arith.minsi %z, %x : i32
        %maxsi = arith.maxsi %z, %x : i32
        %minui = arith.minui %z, %x : i32
        %maxui = arith.maxui %z, %x : i32
        %absi = math.absi %z : i32
        %p0 = arith.cmpi eq, %y, %k2 : i32
        %p1 = arith.cmpi ne, %y, %k2 : i32
        %p2 = arith.cmpi slt, %y, %k2 : i32
        %p3 = arith.cmpi sle, %y, %k2 : i32
        %p4 = arith.cmpi sgt, %y, %k2 : i32
        %p5 = arith.cmpi sge, %y, %k2 : i32
        %p6 = arith.cmpi ult, %y, %k2 : i32
        %p7 = arith.cmpi ule, %y, %k2 : i32
        %p8 = arith.cmpi ugt, %y, %k2 : i32
        %p9 = arith.cmpi uge, %y, %k2 : i32
        %e0 = arith.extui %p0 : i1 to i32
        %e1 = arith.extui %p1 : i1 to i32
        %s1 = arith.constant 1 : i32
        %bit1 = arith.shli %e1, %s1 : i32
        %mask1 = arith.ori %e0, %bit1 : i32
        %e2 = arith.extui %p2 : i1 to i32
        %s2 = arith.constant 2 : i32
        %bit2 = arith.shli %e2, %s2 : i32
        %mask2 = arith.ori %mask1, %bit2 : i32
        %e3 = arith.extui %p3 : i1 to i32
        %s3 = arith.constant 3 : i32
        %bit3 = arith.shli %e3, %s3 : i32
        %mask3 = arith.ori %mask2, %bit3 : i32
        %e4 = arith.extui %p4 : i1 to i32
        %s4 = arith.constant 4 : i32
        %bit4 = arith.shli %e4, %s4 : i32
        %mask4 = arith.ori %mask3, %bit4 : i32
        %e5 = arith.extui %p5 : i1 to i32
        %s5 = arith.constant 5 : i32
        %bit5 = arith.shli %e5, %s5 : i32
        %mask5 = arith.ori %mask4, %bit5 : i32
        %e6 = arith.extui %p6 : i1 to i32
        %s6 = arith.constant 6 : i32
        %bit6 = arith.shli %e6, %s6 : i32
        %mask6 = arith.ori %mask5, %bit6 : i32
        %e7 = arith.extui %p7 : i1 to i32
        %s7 = arith.constant 7 : i32
        %bit7 = arith.shli %e7, %s7 : i32
        %mask7 = arith.ori %mask6, %bit7 : i32
        %e8 = arith.extui %p8 : i1 to i32
        %s8 = arith.constant 8 : i32
        %bit8 = arith.shli %e8, %s8 : i32
        %mask8 = arith.ori %mask7, %bit8 : i32
        %e9 = arith.extui %p9 : i1 to i32
        %s9 = arith.constant 9 : i32
        %bit9 = arith.shli %e9, %s9 : i32
        %mask9 = arith.ori %mask8, %bit9 : i32
        %gcd:2 = scf.while (%ga = %x, %gb = %absi) : (i32, i32) -> (i32, i32) {
          %nz = arith.cmpi ne, %gb, %k0 : i32
          scf.condition(%nz) %ga, %gb : i32, i32
        } do {
        ^bb0(%p: i32, %q: i32):
          %r = arith.remsi %p, %q : i32
          scf.yield %q, %r : i32, i32
        }
        %collatz:2 = scf.while (%v = %x, %steps = %k0) : (i32, i32) -> (i32, i32) {
          %notone = arith.cmpi ne, %v, %k1 : i32
          %fuel = arith.cmpi slt, %steps, %kfuel : i32
          %more = arith.andi %notone, %fuel : i1
          scf.condition(%more) %v, %steps : i32, i32
        } do {
        ^bb0(%cv: i32, %cs: i32):
          %low = arith.andi %cv, %k1 : i32
          %even = arith.cmpi eq, %low, %k0 : i32
          %halved = arith.divsi %cv, %k2 : i32
          %tripled = arith.muli %cv, %k3 : i32
          %up = arith.addi %tripled, %k1 : i32
          %next = arith.select %even, %halved, %up : i32
          %count = arith.addi %cs, %k1 : i32
          scf.yield %next, %count : i32, i32
        }
        %square = scf.execute_region -> i32 {
          %sq = arith.muli %x, %x : i32
          scf.yield %sq : i32
        }
        %pos = arith.cmpi sgt, %z, %k0 : i32
        %relu = arith.select %pos, %z, %k0 : i32
        %wrap = arith.muli %z, %kmul : i32
        %xi = arith.index_cast %x : i32 to index
        %xi3 = arith.muli %xi, %c3 : index
        %xi3s = arith.addi %xi3, %tx : index
        %idx = arith.index_cast %xi3s : index to i32
        memref.store %divsi, %n[%tx, %c0] : memref<16x24xi32>
        memref.store %remsi, %n[%tx, %c1] : memref<16x24xi32>
        memref.store %floordiv, %n[%tx, %c2] : memref<16x24xi32>
        memref.store %ceildiv, %n[%tx, %c3] : memref<16x24xi32>
        memref.store %divui, %n[%tx, %c4] : memref<16x24xi32>
        memref.store %remui, %n[%tx, %c5] : memref<16x24xi32>
        memref.store %andi, %n[%tx, %c6] : memref<16x24xi32>
        memref.store %ori, %n[%tx, %c7] : memref<16x24xi32>
        memref.store %xori, %n[%tx, %c8] : memref<16x24xi32>
        memref.store %shli, %n[%tx, %c9] : memref<16x24xi32>
        memref.store %shrsi, %n[%tx, %c10] : memref<16x24xi32>
        memref.store %shrui, %n[%tx, %c11] : memref<16x24xi32>
        memref.store %minsi, %n[%tx, %c12] : memref<16x24xi32>
        memref.store %maxsi, %n[%tx, %c13] : memref<16x24xi32>
        memref.store %minui, %n[%tx, %c14] : memref<16x24xi32>
        memref.store %maxui, %n[%tx, %c15] : memref<16x24xi32>
        memref.store %absi, %n[%tx, %c16] : memref<16x24xi32>
        memref.store %mask9, %n[%tx, %c17] : memref<16x24xi32>
        memref.store %gcd#0, %n[%tx, %c18] : memref<16x24xi32>
        memref.store %collatz#1, %n[%tx, %c19] : memref<16x24xi32>
        memref.store %square, %n[%tx, %c20] : memref<16x24xi32>
        memref.store %relu, %n[%tx, %c21] : memref<16x24xi32>
        memref.store %wrap, %n[%tx, %c22] : memref<16x24xi32>
        memref.store %idx, %n[%tx, %c23] : memref<16x24xi32>
        gpu.terminator
      }
      avial.yield
    }
  }
  return
}
