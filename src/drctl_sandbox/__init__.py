"""The offline sandbox: a model of AWS, Kubernetes and ArgoCD on loopback, and the PostgreSQL lab.

Installed by the `sandbox` extra (`pip install 'drctl[sandbox]'`); drctl itself never
imports it, only its `demo`, `sandbox` and `lab` commands do, inside the command.

    aws/      moto's server and what drctl adds to it (failover, replication, health, trail)
    kube/     simulated Kubernetes and ArgoCD API servers
    estate/   the estate a plan describes, provisioned with boto3, and the sample app
    lab/      real PostgreSQL primary and standby, their app, plan and measured failover
    runtime   `Sandbox`: server, apps, simulators and estate together
    control   the sandbox as a long-lived process (`drctl sandbox up|down|status`)
    demo      `drctl demo`
"""
