/**
 * Spark's storage levels. streamlab keeps every batch in memory; the level is recorded because it
 * drives Spark's validation rules (a checkpointed stream must be persisted) and shows in the UI.
 */
export class StorageLevel {
  private constructor(readonly name: string, readonly useMemory: boolean, readonly useDisk: boolean, readonly deserialized: boolean, readonly replication: number) {}
  static readonly NONE = new StorageLevel("NONE", false, false, false, 1);
  static readonly MEMORY_ONLY = new StorageLevel("MEMORY_ONLY", true, false, true, 1);
  static readonly MEMORY_ONLY_2 = new StorageLevel("MEMORY_ONLY_2", true, false, true, 2);
  static readonly MEMORY_ONLY_SER = new StorageLevel("MEMORY_ONLY_SER", true, false, false, 1);
  static readonly MEMORY_ONLY_SER_2 = new StorageLevel("MEMORY_ONLY_SER_2", true, false, false, 2);
  static readonly MEMORY_AND_DISK = new StorageLevel("MEMORY_AND_DISK", true, true, true, 1);
  static readonly MEMORY_AND_DISK_2 = new StorageLevel("MEMORY_AND_DISK_2", true, true, true, 2);
  static readonly MEMORY_AND_DISK_SER = new StorageLevel("MEMORY_AND_DISK_SER", true, true, false, 1);
  static readonly MEMORY_AND_DISK_SER_2 = new StorageLevel("MEMORY_AND_DISK_SER_2", true, true, false, 2);
  static readonly DISK_ONLY = new StorageLevel("DISK_ONLY", false, true, false, 1);
  static readonly OFF_HEAP = new StorageLevel("OFF_HEAP", true, true, false, 1);
  toString(): string { return this.name; }
}
