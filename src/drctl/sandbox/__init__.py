"""The offline sandbox: moto's server in-process, the seed estate, and what moto lacks, added explicitly."""
