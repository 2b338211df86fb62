/* The demonstration MPI program: each rank says where it runs, rank 0 checks a reduction
 * across all ranks, so a job that prints "sum ok" really communicated over MPI. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, size = 0, length = 0;
    char host[MPI_MAX_PROCESSOR_NAME];
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Get_processor_name(host, &length);
    printf("rank %d of %d on %s\n", rank, size, host);
    int one = 1, sum = 0;
    MPI_Reduce(&one, &sum, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0) printf("sum %s: %d of %d\n", sum == size ? "ok" : "WRONG", sum, size);
    MPI_Finalize();
    return rank == 0 && sum != size;
}
