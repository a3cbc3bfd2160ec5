#!/usr/bin/env bash
# Rebuilds expected/*.txt by running the golden programs on real Apache Spark (not part of npm test).
# Needs Java 17 and Maven; Maven fetches Spark from Maven Central into ~/.m2 on first use.
#   test/spark-golden/regenerate.sh                       # Spark 3.5.5, Scala 2.12 -> expected/
#   SPARK=3.5.5 SCALA=2.13 OUT=/tmp/x test/spark-golden/regenerate.sh [program...]
set -euo pipefail
cd "$(dirname "$0")"
SPARK="${SPARK:-3.5.5}"
SCALA="${SCALA:-2.12}"
OUT="${OUT:-expected}"
BUILD="target/${SPARK}-${SCALA}"
mvn -q -B -f pom.xml -Dspark.version="$SPARK" -Dscala.binary.version="$SCALA" package dependency:build-classpath
CP="$BUILD/streamlab-spark-golden-0.1.0.jar:$(cat "$BUILD/classpath.txt")"
# What spark-submit adds on Java 17 (org.apache.spark.launcher.JavaModuleOptions).
OPENS=()
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  OPENS+=("--add-opens=java.base/$p=ALL-UNNAMED")
done
OPENS+=("--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED")
java -XX:+IgnoreUnrecognizedVMOptions "${OPENS[@]}" -Djdk.reflect.useDirectMethodHandle=false -Xmx2g \
  -cp "$CP" golden.GoldenPrograms input "$OUT" "$@" 2> "$BUILD/spark.log"
echo "wrote $(ls "$OUT"/*.txt | wc -l) files to $OUT (Spark log: $BUILD/spark.log)"
