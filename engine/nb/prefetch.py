"""A cache prefetch hint for the kernels: ask the CPU to start loading an array element now, so that a
later read of it does not wait for memory.

Why: the basket kernel's quiet bars read only the bar-major ``hot`` copy, so when a decision or a
settlement comes, every field it reads from ``market[coin, Mkt.*, bar]`` (close, mark, index, volume,
funding of every coin, each a whole series apart) is a cache miss. Measured with perf on
bench_portfolio.py (4 coins), those misses were most of a decision's time. The kernel knows the next
such bar (``calm``) before the quiet stretch that leads to it, so it asks for them there.

A prefetch never faults and never changes a value: results are bitwise the same with or without it.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def prefetch_nb(typingctx, arr, idx):
    """Hint that ``arr[idx]`` (a 1-D array) will be read soon (LLVM ``llvm.prefetch``: read, keep in
    every cache level). No bounds check is needed: a prefetch of any address is harmless."""
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and isinstance(idx, types.Integer)):
        return None
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aryty, idxty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        i = context.cast(builder, args[1], idxty, types.intp)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [i], wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])  # read, high locality, data
        return context.get_dummy_value()

    return sig, codegen
