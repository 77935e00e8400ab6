#!/usr/bin/python3
"""PyTorch peer for bench/run.ts: the same jobs, timing protocol and JSON lines as
bench/peers/protocol.ts (read that file first). Run alone:

    /usr/bin/python3 bench/peers/torch_bench.py '<job JSON>'

The job's variant is the thread count. bench/run.ts chooses the BLAS through the environment of
this process only (LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp puts Debian's
OpenMP OpenBLAS before whatever libblas.so.3 alternative is active; OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE are unset here, if set); the info line says which BLAS library actually loaded.
"""
import ctypes
import json
import resource
import sys
import time

MARK = '@@BENCH '


def emit(obj):
    sys.stdout.write(MARK + json.dumps(obj) + '\n')
    sys.stdout.flush()


def time_it(fn, p):
    """As timeSync in protocol.ts: warm-up, then one continuous window cut into slices."""
    t0 = time.perf_counter()
    n = 0
    while n < p['warmup'] or (time.perf_counter() - t0) * 1000 < p['warmupMs']:
        fn()
        n += 1
    w0 = slice_start = time.perf_counter()
    iters = slice_iters = 0
    slices = []
    while True:
        fn()
        now = time.perf_counter()
        iters += 1
        slice_iters += 1
        if (now - slice_start) * 1000 >= p['sliceMs']:
            slices.append((now - slice_start) / slice_iters)
            slice_start, slice_iters = now, 0
        if (now - w0) * 1000 >= p['windowMs']:
            break
    end = time.perf_counter()
    if not slices:
        slices.append((end - slice_start) / max(1, slice_iters))
    return {'perIter': (end - w0) / iters, 'sliceMin': min(slices), 'sliceMax': max(slices),
            'slices': len(slices), 'iters': iters, 'windowSeconds': end - w0}


def gemm_rate(torch):
    """GFLOP/s of a 512^3 product over a 1-s window, as gemmRate in protocol.ts."""
    a, b, out = torch.randn(512, 512), torch.randn(512, 512), torch.empty(512, 512)
    t = time_it(lambda: torch.mm(a, b, out=out), {'warmup': 3, 'warmupMs': 300, 'windowMs': 1000, 'sliceMs': 1000})
    return round(2 * 512 ** 3 / t['perIter'] / 1e9, 1)


def random_ids(count, n, seed):
    """xorshift32, identical to randomIds in protocol.ts."""
    out = [0] * count
    x = (seed & 0xFFFFFFFF) or 1
    for i in range(count):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x % n
    return out


def blas_info(torch):
    a = torch.randn(64, 64)
    (a @ a).sum().item()  # make sure the BLAS is loaded
    libs = set()
    with open('/proc/self/maps') as f:
        for line in f:
            path = line.split()[-1]
            if 'blas' in path or 'lapack' in path or 'libgomp' in path or 'mkl' in path:
                libs.add(path)
    info = {'blasLibs': ' '.join(sorted(libs))}
    for path in sorted(libs):
        if 'libopenblas' in path:
            try:
                lib = ctypes.CDLL(path)
                lib.openblas_get_config.restype = ctypes.c_char_p
                lib.openblas_get_corename.restype = ctypes.c_char_p
                info['openblasConfig'] = lib.openblas_get_config().decode()
                info['openblasCore'] = lib.openblas_get_corename().decode()
                info['openblasThreads'] = lib.openblas_get_num_threads()
                info['openblasParallel'] = {0: 'sequential', 1: 'pthreads', 2: 'openmp'}.get(lib.openblas_get_parallel(), '?')
            except (OSError, AttributeError) as e:
                info['openblasError'] = str(e)
    return info


def main():
    job = json.loads(sys.argv[1])
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    threads = int(job['variant'])
    torch.set_num_threads(threads)
    info = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'python': sys.version.split()[0]}
    info.update(blas_info(torch))
    info['interopThreads'] = torch.get_num_interop_threads()
    info['gemm512'] = gemm_rate(torch)
    emit({'type': 'info', 'info': info})
    torch.manual_seed(1)
    c = job['config']
    p = job['protocol']

    if c['kind'] == 'train':
        T, B, V, I, H, C = c['seq'], c['batch'], c['vocab'], c['input'], c['hidden'], c['classes']
        emb = nn.Embedding(V, I)
        rnn = (nn.LSTM if c['cell'] == 'lstm' else nn.GRU)(I, H)  # time-major [T, B, I], the default
        head = nn.Linear(H, C)
        opt = torch.optim.Adam([*emb.parameters(), *rnn.parameters(), *head.parameters()], lr=1e-3)
        ids = torch.tensor(random_ids(T * B, V, 7), dtype=torch.long).view(T, B)
        targets = torch.tensor(random_ids(T * B, C, 11), dtype=torch.long)
        last = [float('nan')]

        def step():
            out, _ = rnn(emb(ids))
            loss = F.cross_entropy(head(out.reshape(T * B, H)), targets)
            opt.zero_grad()
            loss.backward()
            opt.step()
            last[0] = loss.item()

        timing = time_it(step, p)
        emit({'type': 'timing', 'key': 'train', 'timing': timing, 'note': 'final loss %.4f' % last[0]})

    elif c['kind'] == 'gen':
        I, H, L = c['input'], c['hidden'], c['layers']
        lstm = nn.LSTM(I, H, L).eval()
        x = torch.sin(torch.arange(I, dtype=torch.float32)).view(1, 1, I)
        state = [(torch.zeros(L, 1, H), torch.zeros(L, 1, H))]

        def step():
            _, state[0] = lstm(x, state[0])

        with torch.no_grad():
            timing = time_it(step, p)
        emit({'type': 'timing', 'key': 'gen', 'timing': timing, 'note': 'nn.LSTM on [1,1,I] with (h, c) carried, under no_grad'})

    else:
        for M, N, K in c['shapes']:
            for tA, tB in ((False, False), (False, True), (True, False), (True, True)):
                a = torch.sin(torch.arange(M * K, dtype=torch.float32))
                b = torch.cos(torch.arange(K * N, dtype=torch.float32))
                a = a.view(K, M).t() if tA else a.view(M, K)
                b = b.view(N, K).t() if tB else b.view(K, N)
                out = torch.empty(M, N)
                timing = time_it(lambda: torch.mm(a, b, out=out), p)
                key = 'gemm %dx%dx%d %s%s' % (M, N, K, 'T' if tA else 'N', 'T' if tB else 'N')
                emit({'type': 'timing', 'key': key, 'timing': timing})


if __name__ == '__main__':
    code = 0
    try:
        main()
    except Exception as e:  # report, as the JS peers do
        emit({'type': 'error', 'message': '%s: %s' % (type(e).__name__, e)})
        code = 1
    emit({'type': 'rss', 'maxRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    sys.exit(code)
