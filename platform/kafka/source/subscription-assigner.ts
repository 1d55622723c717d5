import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

/**
 * Round-robin assignment that respects what each member subscribed to.
 *
 * kafkajs's own `RoundRobinAssigner` deals every partition of every topic of the group to
 * every member, whatever each member asked for. That is wrong as soon as the members of one
 * group read different topics, which is what a pipeline with a repartition hop does: in every
 * instance one source reads the input topics and another reads the internal topic, both in
 * the pipeline's one consumer group. Here each topic's partitions are dealt, in order, only
 * to the members whose subscription names the topic, so each source gets only its own.
 *
 * The protocol name differs from kafkajs's (`SubscriptionRoundRobin`): a group whose members
 * run an older build that only offers `RoundRobinAssigner` fails to form instead of being
 * assigned wrongly.
 */
export const SubscriptionAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'SubscriptionRoundRobin',
  version: 0,
  async assign({ members }) {
    const subscribers = new Map<string, string[]>();
    for (const member of [...members].sort((a, b) => a.memberId.localeCompare(b.memberId))) {
      const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
      for (const topic of metadata?.topics ?? []) {
        const list = subscribers.get(topic);
        if (list) list.push(member.memberId);
        else subscribers.set(topic, [member.memberId]);
      }
    }
    // kafkajs hands the leader its own subscription as `topics`: the union comes from the
    // members' metadata, and the leader needs partition metadata for topics it does not read.
    const topics = [...subscribers.keys()];
    await (
      cluster as unknown as { addMultipleTargetTopics(t: string[]): Promise<void> }
    ).addMultipleTargetTopics(topics);
    const assignment = new Map<string, Record<string, number[]>>();
    for (const member of members) assignment.set(member.memberId, {});
    for (const topic of [...topics].sort()) {
      const owners = subscribers.get(topic) ?? [];
      if (owners.length === 0) continue;
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
      partitions.forEach((partition, i) => {
        const byTopic = assignment.get(owners[i % owners.length]!)!;
        const list = byTopic[topic];
        if (list) list.push(partition);
        else byTopic[topic] = [partition];
      });
    }
    return [...assignment].map(([memberId, byTopic]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 0,
        assignment: byTopic,
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: 'SubscriptionRoundRobin',
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 0,
        topics,
        userData: Buffer.alloc(0),
      }),
    };
  },
});
