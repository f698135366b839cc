"""What happens to stateful resources when CloudFormation stops managing them: one decision for the whole stack.

**Kept, except when the stack operation that created them is rolled back** (`DeletionPolicy:
RetainExceptOnCreate`, CDK's `RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE`; `UpdateReplacePolicy: Retain`). A
`cdk destroy`, a resource removed from the template or a replacement keeps the Connect instance, the claimed phone
number, the tables, the KMS keys, the buckets and the log groups with what they hold. A *failed first deployment*
deletes what it created, so it can simply be run again: a plain `Retain` would leave the instance (its alias unique,
two instances per account by default, creates and deletes capped over 30 days), the tables and some twenty KMS keys
behind on every failed attempt, and the next attempt would collide with them.

**Deletion protection is off until the first deployment has succeeded** (context `deletion_protection`, default
false): a protected DynamoDB table or Cognito user pool cannot be deleted by a rollback, so the first create would
end in ROLLBACK_FAILED with the very resources this policy lets go. Once the stack exists, set
`"deletion_protection": "true"` in cdk.json and deploy again: the tables and the agents' user pool then refuse a
delete from anywhere (console, API, another stack), on top of being retained. `callcenter deploy-check` names a
deployed stack still without it.

One resource stays plain `Retain`: the API Gateway CloudWatch role (infra/constructs/api.py). The account-wide API
Gateway setting points at it as soon as the account resource is created; deleting it on a rollback would leave
every REST API of the account and Region logging through a role that no longer exists.
"""

from __future__ import annotations

import aws_cdk as cdk

# Stateful resources: retained on delete and replacement, deleted when their own creation is rolled back.
KEEP = cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
# The template's DeletionPolicy for KEEP.
KEEP_DELETION_POLICY = "RetainExceptOnCreate"
